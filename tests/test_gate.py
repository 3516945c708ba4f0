"""The compliance gate: every reason a send is allowed, blocked or deferred."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import app_ledger
from core.gate.check import Outgoing, gate_for
from core.gate.facts import BatchFacts
from core.models import (
    Brand,
    Campaign,
    Contact,
    Disclosure,
    Message,
    MessageType,
    Preference,
    Sender,
)

NY = ZoneInfo("America/New_York")
MIAMI = "+13055550199"  # Florida: 08:00-20:00, 3 marketing texts per 24 h
MANHATTAN = "+12125550123"  # New York: federal 08:00-21:00
AUSTIN = "+15125550100"  # Texas: Sunday 12:00-21:00
OK_BODY = "Bloom & Branch: 20% off roses this weekend. Reply STOP to opt out."
NOON_MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=NY)


FACTS = {"mode": "live"}


@pytest.fixture(autouse=True, params=["live", "batch"])
def facts_mode(request):
    """Every gate case runs with live queries and with the dispatcher's batch-loaded facts."""
    FACTS["mode"] = request.param
    yield request.param
    FACTS["mode"] = "live"


@pytest.fixture
def world(session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
    campaign = Campaign(brand=brand, name="Promotions", use_case="MARKETING")
    sender = Sender(address="+14155550142", campaign=campaign)
    disclosure = Disclosure(name="Web", text="I agree to receive marketing texts. Reply STOP to cancel.")
    session.add_all([brand, campaign, sender, disclosure])
    session.flush()
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    return {"brand": brand, "sender": sender, "disclosure": disclosure, "types": types,
            "ledger": app_ledger(current_app, session)}


def contact_with(session, world, phone, *slugs, **fields):
    contact = Contact(phone=phone, **fields)
    session.add(contact)
    session.flush()
    for slug in slugs:
        world["ledger"].opt_in(contact, world["types"][slug], source="web_form",
                               disclosure=world["disclosure"], actor="web form",
                               occurred_at=datetime(2026, 1, 5, tzinfo=UTC))
    return contact


def decide(session, world, contact, slug="marketing", body=OK_BODY, at=NOON_MONDAY, **kwargs):
    outgoing = Outgoing(contact=contact, message_type=world["types"][slug], body=body,
                        sender=kwargs.pop("sender", world["sender"]), brand=world["brand"], **kwargs)
    gate = gate_for(current_app)
    facts = None
    if FACTS["mode"] == "batch":
        session.flush()
        facts = BatchFacts(session, gate.suppression_key, [contact], at)
    return gate.check(session, outgoing, at, facts)


def codes(decision):
    return [reason.code for reason in decision.reasons]


def test_opted_in_contact_in_daytime_is_allowed(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    decision = decide(session, world, contact)
    assert decision.outcome == "allow" and decision.reasons == ()
    assert decision.local_time.isoformat() == "2026-11-23T12:00:00-05:00"


def test_no_consent_for_that_type_blocks(session, world):
    contact = contact_with(session, world, MANHATTAN, "transactional")
    assert codes(decide(session, world, contact)) == ["no_consent"]
    assert decide(session, world, contact, "transactional",
                  body="Bloom & Branch: your order shipped. Reply STOP to opt out.").allowed


def test_opt_out_blocks_and_suppression_blocks_every_type(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing", "transactional")
    world["ledger"].opt_out(contact, world["types"]["marketing"], source="admin", actor="x",
                            occurred_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert codes(decide(session, world, contact)) == ["opted_out"]
    world["ledger"].opt_out(contact, None, source="keyword", actor="sms",
                            occurred_at=datetime(2026, 2, 2, tzinfo=UTC))
    assert codes(decide(session, world, contact, "transactional")) == ["suppressed"]


def test_quiet_hours_defer_to_the_next_allowed_minute(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    decision = decide(session, world, contact, at=datetime(2026, 11, 23, 21, 30, tzinfo=NY))
    assert decision.outcome == "defer" and codes(decision) == ["quiet_hours"]
    assert decision.until.isoformat() == "2026-11-24T08:00:00-05:00"
    assert decision.rule == "federal quiet hours"
    assert "64.1200" in decision.citation


def test_florida_ends_at_eight_pm(session, world):
    contact = contact_with(session, world, MIAMI, "marketing")
    decision = decide(session, world, contact, at=datetime(2026, 11, 23, 20, 15, tzinfo=NY))
    assert decision.outcome == "defer" and decision.rule == "FL quiet hours"
    assert "501.059" in decision.citation


def test_quiet_hours_follow_the_zip_code_not_the_number(session, world):
    """A Miami number kept after a move to Manhattan: New York's 21:00, not Florida's 20:00."""
    late = datetime(2026, 11, 23, 20, 30, tzinfo=NY)
    stayed = contact_with(session, world, MIAMI, "marketing")
    moved = contact_with(session, world, "+13055550100", "marketing", postal_code="10001")
    assert codes(decide(session, world, stayed, at=late)) == ["quiet_hours"]
    assert decide(session, world, moved, at=late).allowed


def test_texas_sunday_starts_at_noon(session, world):
    contact = contact_with(session, world, AUSTIN, "marketing")
    central = ZoneInfo("America/Chicago")
    sunday_morning = decide(session, world, contact, at=datetime(2026, 11, 22, 10, 0, tzinfo=central))
    assert sunday_morning.until.isoformat() == "2026-11-22T12:00:00-06:00"
    assert decide(session, world, contact, at=datetime(2026, 11, 23, 10, 0, tzinfo=central)).allowed


def test_transactional_types_may_be_exempt_from_quiet_hours(session, world):
    contact = contact_with(session, world, MANHATTAN, "transactional")
    late = datetime(2026, 11, 23, 23, 0, tzinfo=NY)
    body = "Bloom & Branch: your order #1042 is out for delivery. Reply STOP to opt out."
    assert decide(session, world, contact, "transactional", body=body, at=late).allowed


def test_a_reminder_that_would_go_out_stale_expires(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    late = datetime(2026, 11, 23, 22, 0, tzinfo=NY)
    decision = decide(session, world, contact, at=late, expires_at=late + timedelta(hours=2))
    assert decision.outcome == "block" and codes(decision) == ["quiet_hours", "expired"]


def test_florida_caps_marketing_at_three_per_day(session, world):
    contact = contact_with(session, world, MIAMI, "marketing")
    for hour in (9, 10, 11):
        session.add(Message(direction="out", status="delivered", contact_id=contact.id,
                            phone=MIAMI, body=OK_BODY, message_type_id=world["types"]["marketing"].id,
                            created_at=datetime(2026, 11, 23, hour, 0, tzinfo=NY)))
    session.flush()
    decision = decide(session, world, contact)
    assert decision.outcome == "defer" and codes(decision) == ["frequency_cap"]
    assert decision.until.isoformat() == "2026-11-24T09:00:00-05:00"


def test_the_contacts_own_weekly_limit_defers(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    session.add(Preference(contact_id=contact.id, max_per_week=1))
    session.add(Message(direction="out", status="sent", contact_id=contact.id, phone=MANHATTAN,
                        body=OK_BODY, created_at=NOON_MONDAY - timedelta(days=2)))
    session.flush()
    decision = decide(session, world, contact)
    assert decision.outcome == "defer"
    assert decision.until.isoformat() == "2026-11-28T12:00:00-05:00"  # 2 days ago + 7


@pytest.mark.parametrize(
    ("body", "code"),
    [("20% off roses this weekend. Reply STOP to opt out.", "brand_missing"),
     ("Bloom & Branch: 20% off roses this weekend.", "opt_out_language_missing"),
     ("Bloom & Branch: deals at https://bit.ly/3xYz. Reply STOP to opt out.", "public_shortener"),
     ("Bloom & Branch: " + "roses " * 200 + "Reply STOP to opt out.", "too_many_segments")],
)
def test_content_rules(session, world, body, code):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    decision = decide(session, world, contact, body=body)
    assert decision.outcome == "block" and codes(decision) == [code]


def test_first_transactional_message_needs_opt_out_language_later_ones_do_not(session, world):
    contact = contact_with(session, world, MANHATTAN, "transactional")
    body = "Bloom & Branch: your order #1042 shipped."
    assert codes(decide(session, world, contact, "transactional", body=body)) == [
        "opt_out_language_missing"]
    session.add(Message(direction="out", status="delivered", contact_id=contact.id,
                        phone=MANHATTAN, body="Bloom & Branch: welcome! Reply STOP to opt out."))
    session.flush()
    assert decide(session, world, contact, "transactional", body=body).allowed


def test_sender_must_reach_the_number(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    alpha = Sender(address="BLOOMBR", kind="alphanumeric")
    assert codes(decide(session, world, contact, sender=alpha)) == ["sender_cannot_reach"]
    assert codes(decide(session, world, contact, sender=None)) == ["no_sender"]


def test_erased_contact_is_blocked(session, world):
    from core.consent.maintenance import erase_contact

    contact = contact_with(session, world, MANHATTAN, "marketing")
    erase_contact(session, contact, "privacy")
    session.refresh(contact)
    assert codes(decide(session, world, contact)) == ["erased"]


def test_stop_confirmation_goes_to_a_suppressed_number(session, world):
    contact = contact_with(session, world, MANHATTAN, "marketing")
    world["ledger"].opt_out(contact, None, source="keyword", actor="sms",
                            occurred_at=datetime(2026, 2, 2, tzinfo=UTC))
    decision = decide(session, world, contact, body="Bloom & Branch: You have been unsubscribed.",
                      at=datetime(2026, 11, 23, 23, 0, tzinfo=NY), compliance_reply=True)
    assert decision.allowed


def test_hook_register_gate_rules(make_app, session):
    from hooks import GateRule, hookimpl

    class NoShouting:
        @hookimpl
        def register_gate_rules(self):
            return [GateRule("no_shouting",
                             lambda m: ["the text is all capitals"] if m.body.isupper() else [])]

    app = make_app(EXTRA_PLUGINS=[NoShouting()])
    with app.app_context():
        from core.db import db

        brand = Brand(legal_name="B", public_name="BLOOM")
        db.session.add(brand)
        contact = Contact(phone=MANHATTAN)
        db.session.add(contact)
        db.session.flush()
        marketing = db.session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
        outgoing = Outgoing(contact, marketing, "BLOOM: SALE! REPLY STOP TO OPT OUT",
                            Sender(address="+14155550142"), brand)
        decision = gate_for(app).check(db.session, outgoing, NOON_MONDAY)
        assert "no_shouting" in codes(decision)
        db.session.rollback()


def test_audience_is_consent_minus_suppression_in_one_query(session, world):
    from core.gate.audience import eligible

    yes = contact_with(session, world, MANHATTAN, "marketing")
    contact_with(session, world, AUSTIN, "transactional")
    stopped = contact_with(session, world, MIAMI, "marketing")
    world["ledger"].opt_out(stopped, None, source="keyword", actor="sms",
                            occurred_at=datetime(2026, 2, 2, tzinfo=UTC))
    # An erased, suppressed number imported again with an old opt-in stays out.
    from core.consent.maintenance import erase_contact

    erase_contact(session, stopped, "privacy")
    again = contact_with(session, world, MIAMI, "marketing")
    assert again.phone_hmac is not None
    rows = session.execute(eligible(world["types"]["marketing"].id)).all()
    assert [row.id for row in rows] == [yes.id]


def test_outbox_records_the_verdict_once_per_key(session, world):
    from core.sending.outbox import enqueue

    contact = contact_with(session, world, MANHATTAN, "marketing")
    gate = gate_for(current_app)
    late = datetime(2026, 11, 23, 22, 0, tzinfo=NY)

    def outgoing(body):
        return Outgoing(contact, world["types"]["marketing"], body, world["sender"], world["brand"])

    deferred = enqueue(session, gate, outgoing(OK_BODY), "promo:1:contact", late)
    assert (deferred.status, deferred.send_after.astimezone(NY).hour) == ("deferred", 8)
    assert deferred.block_reasons[0].startswith("quiet_hours: 22:00 is outside 08:00-21:00")
    again = enqueue(session, gate, outgoing("different text"), "promo:1:contact", late)
    assert again.id == deferred.id and again.body == OK_BODY
    blocked = enqueue(session, gate, outgoing("20% off!"), "promo:2:contact", NOON_MONDAY)
    assert blocked.status == "blocked"
    assert [r.split(":")[0] for r in blocked.block_reasons] == ["brand_missing",
                                                               "opt_out_language_missing"]
    queued = enqueue(session, gate, outgoing(OK_BODY), "promo:3:contact", NOON_MONDAY)
    assert (queued.status, queued.block_reasons, queued.segments, queued.encoding) == (
        "queued", [], 1, "GSM-7")


def test_an_exempt_type_over_its_cap_waits_for_the_cap_only(session, world):
    contact = contact_with(session, world, MANHATTAN, "transactional")
    session.add(Preference(contact_id=contact.id, max_per_week=1))
    sent_at = datetime(2026, 11, 17, 23, 30, tzinfo=NY)  # the cap frees at 23:30 a week later
    session.add(Message(direction="out", status="sent", contact_id=contact.id, phone=MANHATTAN,
                        body=OK_BODY, created_at=sent_at))
    session.flush()
    decision = decide(session, world, contact, "transactional", body=OK_BODY,
                      at=datetime(2026, 11, 24, 9, 0, tzinfo=NY))
    assert decision.outcome == "defer"
    assert decision.until.isoformat() == "2026-11-24T23:30:00-05:00"
