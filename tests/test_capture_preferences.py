"""The preference center: the link in a text, the signed page, and every change it makes:
a kind of text stopped (honoured by the gate at once), everything stopped, how often offers
come (a cap the gate enforces), subscribing again after reading the disclosure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from core.capture import preferences
from core.consent import app_ledger, is_suppressed
from core.db import utcnow
from core.flows import engine, seeds
from core.gate.check import Outgoing, gate_for
from core.models import (
    Brand,
    Campaign,
    Consent,
    ConsentEvent,
    Contact,
    Disclosure,
    Link,
    Message,
    MessageType,
    OptInForm,
    Preference,
    PreferenceEvent,
    Sender,
)

DISCLOSURE = (
    "By submitting this form, you agree to receive recurring automated promotional text "
    "messages from Bloom & Branch Florists at the number provided. Consent is not a condition "
    "of purchase. Msg frequency varies. Msg & data rates may apply. Reply HELP for help and "
    "STOP to cancel.")
PHONE = "+14155552671"
OPTED_IN = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL="https://sms.bloom.example", QUEUE_URL="memory")


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", support_phone="+14155550100",
                  terms_url="https://bloomandbranch.example/terms",
                  privacy_policy_url="https://bloomandbranch.example/privacy",
                  link_domain="https://go.bloom.example")
    campaign = Campaign(brand=brand, name="Promotions", use_case="MIXED")
    session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    welcome = seeds.create(session, "Website lead welcome", campaign, enabled=True)
    disclosure = Disclosure(name="Web form", text=DISCLOSURE)
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    session.add_all([disclosure, OptInForm(slug="join", name="Sign-up", campaign=campaign,
                                           disclosure=disclosure,
                                           message_types=[types["marketing"]],
                                           published_at=utcnow())])
    contact = Contact(phone=PHONE, first_name="Ana")
    session.add(contact)
    session.flush()
    ledger = app_ledger(app, session)
    for slug in ("marketing", "transactional"):
        ledger.opt_in(contact, types[slug], source="web_form", disclosure=disclosure,
                      occurred_at=OPTED_IN, actor="web form")
    event = engine.record(session, app, "form.submitted", contact,
                          {"form": "join", "url": "https://bloomandbranch.example"}, utcnow(),
                          source="test")
    session.commit()
    welcome_text = session.scalars(sa.select(Message).where(Message.flow_id == welcome.id)).one()
    return {"contact": contact.id, "types": {k: v.id for k, v in types.items()},
            "text": welcome_text.body, "event": event.id}


def link_in(text: str) -> str:
    return re.search(r"https://go\.bloom\.example(/l/[\w-]+)", text).group(1)


def open_page(client, world):
    hop = client.get(link_in(world["text"]))
    assert hop.status_code == 302 and "/p/" in hop.headers["Location"]
    path = hop.headers["Location"].replace("http://localhost", "")
    return path, client.get(path)


def states(session):
    session.commit()
    return dict(session.execute(sa.select(MessageType.slug, Consent.state).join(
        Consent, Consent.message_type_id == MessageType.id)).all())


def test_the_welcome_text_carries_a_short_link_to_the_persons_own_page(client, session,
                                                                       world):
    link = session.scalars(sa.select(Link).where(Link.kind == "preferences")).one()
    assert link.contact_id == world["contact"] and link_in(world["text"]) == f"/l/{link.code}"
    path, page = open_page(client, world)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your texts from Bloom &amp; Branch" in html and "(415) 555-2671" in html
    assert "Stop these" in html and "Stop all texts" in html
    assert "Set-Cookie" not in page.headers


def test_stopping_one_kind_is_a_consent_event_with_evidence_and_the_gate_honours_it(
        client, session, world):
    path, _ = open_page(client, world)
    response = client.post(path, data={"do": f"stop:{world['types']['marketing']}"},
                           headers={"User-Agent": "Mozilla/5.0 (Android) Test"})
    assert response.status_code == 200
    assert "no more marketing texts" in response.get_data(as_text=True)
    assert states(session) == {"marketing": "opted_out", "transactional": "opted_in"}
    event = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq.desc())).first()
    assert (event.action, event.source) == ("opt_out", "preference_center")
    assert event.evidence.user_agent == "Mozilla/5.0 (Android) Test"
    assert event.evidence.ip == "127.0.0.1" and "link " in event.source_detail
    contact = session.get(Contact, world["contact"])
    marketing = session.get(MessageType, world["types"]["marketing"])
    decision = gate_for(current_app).check(session, Outgoing(
        contact=contact, message_type=marketing, body="Bloom & Branch: 20% off. Reply STOP "
        "to opt out.", sender=session.scalars(sa.select(Sender)).first(),
        brand=session.scalars(sa.select(Brand)).first()), utcnow())
    assert decision.outcome == "block" and decision.reasons[0].code == "opted_out"


def test_stopping_everything_suppresses_and_the_page_still_works_to_come_back(client, session,
                                                                             world):
    path, _ = open_page(client, world)
    client.post(path, data={"do": "stop_all"})
    assert set(states(session).values()) == {"opted_out"}
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], PHONE)
    html = client.get(path).get_data(as_text=True)
    assert "Subscribe again" in html and "Consent is not a condition of purchase" in html
    # Without agreeing to the disclosure nothing happens.
    refused = client.post(path, data={"do": f"join:{world['types']['marketing']}"})
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    assert states(session)["marketing"] == "opted_out"
    joined = client.post(path, data={"do": f"join:{world['types']['marketing']}",
                                     "agree": "yes"})
    assert "subscribed to marketing texts again" in joined.get_data(as_text=True)
    assert states(session)["marketing"] == "opted_in"
    assert not is_suppressed(session, current_app.config["SUPPRESSION_KEY"], PHONE)
    event = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq.desc())).first()
    assert event.action == "opt_in" and event.source == "preference_center"
    assert event.disclosure.text == DISCLOSURE and event.snapshot_hash


def test_choosing_how_often_offers_come_caps_marketing_only(client, session, world):
    path, _ = open_page(client, world)
    client.post(path, data={"do": "frequency", "per_week": "1"})
    session.commit()
    assert session.scalars(sa.select(Preference)).one().offers_per_week == 1
    change = session.scalars(sa.select(PreferenceEvent)).one()
    assert (change.name, change.value, change.ip) == ("offers_per_week", "1", "127.0.0.1")
    contact = session.get(Contact, world["contact"])
    sender, brand = session.scalars(sa.select(Sender)).first(), session.scalars(
        sa.select(Brand)).first()
    types = {slug: session.get(MessageType, i) for slug, i in world["types"].items()}
    now = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # a Tuesday, noon in New York
    session.add(Message(direction="out", status="delivered", contact_id=contact.id,
                        phone=PHONE, body="Bloom & Branch: offer. Reply STOP to opt out.",
                        message_type_id=types["marketing"].id, created_at=now - timedelta(days=2)))
    session.flush()

    def decide(kind):
        return gate_for(current_app).check(session, Outgoing(
            contact=contact, message_type=types[kind], sender=sender, brand=brand,
            body="Bloom & Branch: hello. Reply STOP to opt out."), now)

    held = decide("marketing")
    assert held.outcome == "defer" and held.reasons[0].code == "frequency_cap"
    assert "preference center" in held.reasons[0].detail
    assert decide("transactional").outcome == "allow"  # an order update is not an offer
    # Back to every offer.
    client.post(path, data={"do": "frequency", "per_week": ""})
    session.commit()
    assert session.scalars(sa.select(Preference)).one().offers_per_week is None
    assert session.scalar(sa.select(sa.func.count()).select_from(PreferenceEvent)) == 2


@pytest.mark.parametrize("bad", ["garbage", "eyJhbGciOi.x.y"])
def test_a_tampered_link_shows_a_friendly_page_and_changes_nothing(client, session, world, bad):
    path, _ = open_page(client, world)
    tampered = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    for target in (tampered, f"/p/{bad}"):
        response = client.post(target, data={"do": "stop_all"})
        assert response.status_code == 404
        assert "This link does not work" in response.get_data(as_text=True) or \
               "not valid" in response.get_data(as_text=True)
    assert states(session) == {"marketing": "opted_in", "transactional": "opted_in"}


def test_an_old_page_token_and_an_old_link_expire(client, session, world, monkeypatch):
    path, _ = open_page(client, world)
    monkeypatch.setattr(preferences, "PAGE_HOURS", 0)
    import time

    time.sleep(1.1)
    response = client.post(path, data={"do": "stop_all"})
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)
    assert states(session)["marketing"] == "opted_in"
    session.execute(sa.update(Link).values(created_at=utcnow() - timedelta(days=91)))
    session.commit()
    hop = client.get(link_in(world["text"]))
    assert hop.status_code == 410 and "expired" in hop.get_data(as_text=True)


def test_a_person_who_opted_out_by_text_can_still_open_the_page(client, session, world):
    app_ledger(current_app, session).opt_out(
        session.get(Contact, world["contact"]), None, source="keyword",
        occurred_at=utcnow(), actor="inbound SMS")
    session.commit()
    _, page = open_page(client, world)
    assert page.status_code == 200 and "Subscribe again" in page.get_data(as_text=True)


def test_a_bulk_sends_preference_links_name_each_recipient(app, client, session, world):
    from core.flows.campaign import send_now

    other = Contact(phone="+12125550123", first_name="Ben")
    session.add(other)
    session.flush()
    marketing = session.get(MessageType, world["types"]["marketing"])
    app_ledger(app, session).opt_in(other, marketing, source="web_form",
                                    disclosure=session.scalars(sa.select(Disclosure)).first(),
                                    occurred_at=OPTED_IN, actor="web form")
    promo = seeds.create(session, "Promotional campaign", session.scalars(
        sa.select(Campaign)).first(), enabled=True)
    promo.steps = [{"send": "[Brand]: [offer] Choose: [preferences link] Reply STOP to opt out.",
                    "offer": "20% off."}]
    session.flush()
    send_now(session, app, promo, "prefs", datetime(2026, 12, 8, 17, 0, tzinfo=UTC))
    session.commit()
    texts = {m.contact_id: m.body for m in session.scalars(sa.select(Message).where(
        Message.flow_id == promo.id))}
    assert len(texts) == 2 and len({link_in(t) for t in texts.values()}) == 2
    for contact_id, body in texts.items():
        hop = client.get(link_in(body))
        page = client.get(hop.headers["Location"].replace("http://localhost", ""))
        phone = session.get(Contact, contact_id).phone
        from core.phone import national

        assert national(phone) in page.get_data(as_text=True)


def test_the_proof_lists_preference_center_changes(client, session, world):
    from core.consent import proof

    path, _ = open_page(client, world)
    client.post(path, data={"do": "frequency", "per_week": "2"})
    client.post(path, data={"do": f"stop:{world['types']['marketing']}"})
    document = proof.build(session, PHONE, current_app.config["SUPPRESSION_KEY"])
    assert document["preference_changes"][0]["value"] == "2"
    assert document["events"][-1]["source"] == "preference_center"
    html = proof.render_html(document)
    assert "Choices made in the preference center" in html
