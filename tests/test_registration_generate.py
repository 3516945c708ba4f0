"""The generators write registration text from what the install really has, and what they
write passes the checker: for each of the four seed flows' use cases, and for the demo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import demo
from core.db import utcnow
from core.flows import seeds
from core.models import Brand, Campaign, Disclosure, MessageType, OptInForm, Sender
from core.registration import checker, facts, generate

CTA = ("By entering your number you agree to receive offers and updates by text from Bloom & "
       "Branch. Msg frequency "
       "varies. Msg & data rates may apply. Consent is not a condition of purchase. Reply STOP "
       "to cancel, HELP for help.")
USE_CASES = [("Website lead welcome", "MARKETING", "marketing"),
             ("Appointment confirmation", "ACCOUNT_NOTIFICATION", "transactional"),
             ("Promotional campaign", "MARKETING", "marketing"),
             ("Post-purchase follow-up", "CUSTOMER_CARE", "transactional")]


def campaign_with(session, flow_name: str, use_case: str, type_slug: str) -> Campaign:
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", support_email="help@bloomandbranch"
                  ".example", support_phone="+14155550100",
                  link_domain="https://go.bloomandbranch.example")
    campaign = Campaign(brand=brand, name=flow_name, use_case=use_case,
                        opt_in_keywords=["JOIN", "FLOWERS"],
                        message_frequency="Up to 4 messages per month")
    kind = session.scalars(sa.select(MessageType).filter_by(slug=type_slug)).one()
    disclosure = Disclosure(name="Web opt-in", text=CTA)
    form = OptInForm(slug="join", name="Website sign-up", campaign=campaign,
                     disclosure=disclosure, message_types=[kind], published_at=utcnow())
    session.add_all([brand, campaign, disclosure, form,
                     Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    seeds.create(session, flow_name, campaign, enabled=True)
    session.flush()
    return campaign


@pytest.mark.parametrize("flow_name,use_case,type_slug", USE_CASES)
def test_generated_registration_passes_for_each_seed_flow(app, session, flow_name, use_case,
                                                          type_slug):
    campaign = campaign_with(session, flow_name, use_case, type_slug)
    before = checker.check(facts.from_campaign(session, app, campaign), checker.rules_for(app))
    assert any(f.rule == "message_flow.registry_length" for f in before)  # nothing written yet
    generate.apply(session, app, campaign, ["description", "message_flow", "call_to_action",
                                            "sample_messages", "sms_terms", "privacy_clause"])
    campaign.brand.legal_pages_published = True
    found = checker.check(facts.from_campaign(session, app, campaign), checker.rules_for(app))
    assert [f for f in found if f.severity != "advice"] == [], found
    flow = campaign.message_flow
    assert "https://go.bloomandbranch.example/f/join" in flow
    assert "JOIN" in flow and "FLOWERS" in flow and "(415) 555-0142" in flow
    assert 3 <= len(campaign.sample_messages) <= 5
    assert all(s.startswith("Bloom & Branch") for s in campaign.sample_messages)


def test_samples_come_from_the_enabled_flows_first(app, session):
    campaign = campaign_with(session, "Appointment confirmation", "ACCOUNT_NOTIFICATION",
                             "transactional")
    samples = generate.samples(session, app, campaign)
    assert samples[0].startswith("Bloom & Branch: your appointment is booked for Thu May 14")
    assert all("[" not in s for s in samples)  # every placeholder filled
    for flow in campaign_flows(session, campaign):
        flow.enabled = False
    session.flush()
    fallback = generate.samples(session, app, campaign)  # the real replies, nothing invented
    assert fallback[0].startswith("Bloom & Branch") and "subscribed" in fallback[0]


def campaign_flows(session, campaign):
    return facts.campaign_flows(session, campaign)


def test_terms_have_the_six_sections_and_a_privacy_link(app, session):
    campaign = campaign_with(session, "Promotional campaign", "MARKETING", "marketing")
    terms = generate.sms_terms(app, campaign.brand, campaign)
    for section in ("Program", "Cancellation", "Help", "Carrier liability",
                    "Fees and frequency", "Privacy"):
        assert f". {section}." in terms
    assert facts.hosted_url(app, campaign.brand, "privacy") in terms
    assert "never shared" in generate.privacy_clause(campaign.brand, campaign)


def test_paper_forms_are_described_only_when_the_ledger_has_paper_opt_ins(app, session):
    from core.consent import Evidence, app_ledger
    from core.models import Contact

    campaign = campaign_with(session, "Promotional campaign", "MARKETING", "marketing")
    assert "paper" not in generate.message_flow(session, app, campaign)
    contact = Contact(phone="+14155550177")
    session.add(contact)
    session.flush()
    app_ledger(app, session).opt_in(
        contact, session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one(),
        source="paper_form", disclosure=session.scalars(sa.select(Disclosure)).first(),
        occurred_at=utcnow(), actor="staff", campaign_id=campaign.id,
        evidence=Evidence(document_url="https://bloomandbranch.example/scan.pdf"))
    flow = generate.message_flow(session, app, campaign)
    assert "paper form" in flow and "/f/join/paper.svg" in flow
    reg = facts.from_campaign(session, app, campaign)
    from dataclasses import replace

    found = checker.check(replace(reg, message_flow=flow), checker.rules_for(app))
    assert not [f for f in found if f.field == "message_flow" and f.severity != "advice"]


def test_the_demo_campaign_is_ready_and_names_its_real_form_and_keywords(app, session):
    demo.load(app, contacts=5)
    campaign = session.scalars(sa.select(Campaign)).one()
    found = checker.check(facts.from_campaign(session, app, campaign), checker.rules_for(app))
    assert checker.blocking(found) == []
    assert [f for f in found if f.severity == "likely"] == []
    form = session.scalars(sa.select(OptInForm)).one()
    assert f"https://go.bloomandbranch.example/f/{form.slug}" in campaign.message_flow
    for keyword in campaign.opt_in_keywords:
        assert keyword in campaign.message_flow
