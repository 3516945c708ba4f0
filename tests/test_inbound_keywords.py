"""Inbound texts: STOP, HELP, START, review and plain replies, as the keyword engine handles them."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import is_suppressed
from core.deadlines import EASTERN
from core.keywords.inbound import Inbound, receive
from core.models import (
    Brand,
    Campaign,
    Consent,
    ConsentEvent,
    Contact,
    Message,
    RevocationTicket,
    Sender,
)

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday
SENDER = "+14155550142"
CUSTOMER = "+12125550123"


@pytest.fixture
def campaign(session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  support_email="help@bloomandbranch.example", support_phone="+14155550100",
                  website="https://bloomandbranch.example")
    campaign = Campaign(brand=brand, name="Promotions", use_case="MARKETING",
                        opt_in_keywords=["JOIN"], message_frequency="Up to 4 msgs/mo",
                        message_flow="Text JOIN to +1 415-555-0142 to get offers.",
                        opt_in_confirmation="Bloom & Branch: You're in for offers!")
    session.add_all([brand, campaign, Sender(address=SENDER, campaign=campaign)])
    session.commit()
    return campaign


def text(session, body, message_id, at=T0, phone=CUSTOMER, **kwargs):
    outcome = receive(session, current_app,
                      Inbound(phone, SENDER, body, "sandbox", message_id, at), **kwargs)
    session.commit()
    return outcome


def states(session, phone=CUSTOMER):
    contact = session.scalars(sa.select(Contact).filter_by(phone=phone)).one()
    rows = session.scalars(sa.select(Consent).filter_by(contact_id=contact.id))
    return {row.message_type.slug: row.state for row in rows}


def suppressed(session, phone=CUSTOMER):
    return is_suppressed(session, current_app.config["SUPPRESSION_KEY"], phone)


def test_join_opts_in_with_the_campaign_disclosure_and_confirms(session, campaign):
    outcome = text(session, "Join", "SM1")
    assert outcome.classification.kind == "opt_in"
    assert states(session)["marketing"] == "opted_in"
    assert outcome.event.disclosure.name == "Keyword opt-in: Promotions"
    assert "Text JOIN to +1 415-555-0142" in outcome.event.disclosure.text
    body = outcome.reply.body
    assert body.startswith("Bloom & Branch: You're in for offers!")
    for part in ("Up to 4 msgs/mo", "Msg & data rates may apply.", "Reply HELP for help.",
                 "Reply STOP to cancel."):
        assert part in body


def test_stop_opts_out_of_everything_suppresses_and_confirms_once(session, campaign):
    text(session, "JOIN", "SM1")
    outcome = text(session, "Stop.", "SM2", at=T0 + timedelta(minutes=5))
    assert set(states(session).values()) == {"opted_out"}
    assert suppressed(session)
    assert outcome.reply.body == (
        "Bloom & Branch: You have been unsubscribed and will receive no further text messages "
        "from this program. Reply HELP for help.")
    assert outcome.reply.expires_at == T0 + timedelta(minutes=10)  # 5 minutes after the STOP
    again = text(session, "STOP", "SM3", at=T0 + timedelta(minutes=6))
    assert again.event is not None and again.reply is None


def test_no_confirmation_when_the_provider_sends_its_own(session, campaign):
    outcome = text(session, "STOP", "SM1", provider_replied=True)
    assert outcome.event.action == "opt_out" and outcome.reply is None


def test_stop_from_a_number_never_seen_still_suppresses(session, campaign):
    outcome = text(session, "unsubscribe", "SM1", phone="+13055550199")
    assert outcome.event.action == "opt_out"
    assert suppressed(session, "+13055550199")


def test_help_from_an_opted_out_number_still_gets_help(session, campaign):
    text(session, "STOP", "SM1")
    outcome = text(session, "HELP", "SM2", at=T0 + timedelta(minutes=1))
    assert outcome.reply.body == (
        "Bloom & Branch: Help at help@bloomandbranch.example, +14155550100, "
        "https://bloomandbranch.example. Reply STOP to cancel.")
    assert suppressed(session)


def test_start_after_stop_restores_what_the_person_had(session, campaign):
    text(session, "JOIN", "SM1")
    text(session, "STOP", "SM2", at=T0 + timedelta(hours=1))
    outcome = text(session, "START", "SM3", at=T0 + timedelta(hours=2))
    assert outcome.event.source == "keyword" and outcome.event.disclosure is not None
    assert states(session)["marketing"] == "opted_in"
    assert not suppressed(session)


def test_stop_and_start_out_of_order_follow_the_provider_timestamps(session, campaign):
    text(session, "JOIN", "SM1")
    text(session, "START", "SM3", at=T0 + timedelta(hours=2))
    text(session, "STOP", "SM2", at=T0 + timedelta(hours=1))
    assert states(session)["marketing"] == "opted_in"
    assert not suppressed(session)


def test_a_start_stamped_far_ahead_is_taken_as_sent_now_and_a_later_stop_wins(session,
                                                                              campaign):
    """A provider clock a year ahead must not date the START after every STOP to come."""
    now = datetime.now(UTC)
    start = text(session, "START", "SM1", at=now + timedelta(days=365))
    assert now <= start.event.occurred_at <= datetime.now(UTC)
    text(session, "STOP", "SM2", at=datetime.now(UTC))
    assert set(states(session).values()) == {"opted_out"}
    assert suppressed(session)


def test_a_replayed_inbound_message_is_a_no_op(session, campaign):
    text(session, "STOP", "SM1")
    events = session.scalar(sa.select(sa.func.count(ConsentEvent.id)))
    outcome = text(session, "STOP", "SM1")
    assert outcome.duplicate
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == events
    assert session.scalar(sa.select(sa.func.count(Message.id))) == 2  # the STOP and its reply


def test_a_possible_revocation_opens_a_ticket_due_in_10_business_days(session, campaign):
    text(session, "JOIN", "SM1")
    outcome = text(session, "Oops, I think I texted stop by accident", "SM2")
    ticket = session.scalars(sa.select(RevocationTicket)).one()
    assert (ticket.possible, ticket.status) == (True, "open")
    assert "by accident" in ticket.matched
    # Fri 2026-11-20 + 10 business days, Thanksgiving (11-26) skipped: Mon 2026-12-07.
    assert ticket.due_at.astimezone(EASTERN).isoformat() == "2026-12-07T23:59:59-05:00"
    assert outcome.reply is None and outcome.event is None
    assert states(session)["marketing"] == "opted_in"


def test_plain_replies_change_nothing(session, campaign):
    text(session, "JOIN", "SM1")
    before = session.scalar(sa.select(sa.func.count(ConsentEvent.id)))
    outcome = text(session, "What time do you open tomorrow?", "SM2")
    assert outcome.classification.kind == "none"
    assert outcome.reply is None and outcome.event is None
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == before


def test_support_resolves_review_tickets_and_overdue_ones_stand_out(client, login, session,
                                                                    campaign):
    text(session, "JOIN", "SM1")
    text(session, "Cancel it", "SM2")  # due 2026-12-07: not yet overdue
    text(session, "I need to cancel", "SM3", at=T0 - timedelta(days=60))
    tickets = session.scalars(sa.select(RevocationTicket).order_by(RevocationTicket.id)).all()
    first_id, second_id = tickets[0].id, tickets[1].id
    session.commit()
    login("support")
    listing = client.get("/admin/revocationticket/").get_data(as_text=True)
    assert listing.count("overdue</strong>") == 1  # the one from 60 days ago
    client.post("/admin/revocationticket/action/", data={"action": "dismiss", "rowid": str(first_id)})
    client.post("/admin/revocationticket/action/", data={"action": "revoke", "rowid": str(second_id)})
    session.expire_all()
    assert session.get(RevocationTicket, first_id).status == "dismissed"
    revoked = session.get(RevocationTicket, second_id)
    assert (revoked.status, revoked.resolved_by) == ("revoked", "support@bloomandbranch.example")
    assert set(states(session).values()) == {"opted_out"}


def test_a_revocation_by_email_is_recorded_at_once_with_a_follow_up_ticket(runner, session):
    result = runner.invoke(["consent", "revoke", "+12125550123", "--channel", "email",
                            "--note", "Please remove me from your texts",
                            "--received-at", "2026-11-20T10:00:00-05:00", "--follow-up",
                            "--actor", "support@bloomandbranch.example"])
    assert result.exit_code == 0, result.output
    assert "suppressed" in result.output and "due 2026-12-08T04:59:59+00:00" in result.output
    event = session.scalars(sa.select(ConsentEvent)).one()
    assert (event.action, event.message_type_id, event.source) == ("opt_out", None, "admin")
    assert event.source_detail == "email: Please remove me from your texts"
    assert suppressed(session)
    assert session.scalars(sa.select(RevocationTicket.possible)).one() is False


def test_dashboard_counts_overdue_revocations(client, login, session, campaign):
    text(session, "I need to cancel", "SM1", at=T0 - timedelta(days=60))
    session.commit()
    login("support")
    home = client.get("/admin/").get_data(as_text=True)
    assert "1 revocation ticket(s) past their 10-business-day deadline" in home


def test_a_stop_confirmation_not_sent_within_5_minutes_is_dropped(session, campaign):
    from core.gate.check import Outgoing, gate_for

    outcome = text(session, "STOP", "SM1")
    reply = outcome.reply
    late = Outgoing(reply.contact, reply.message_type, reply.body, reply.sender, None,
                    compliance_reply=True, expires_at=reply.expires_at)
    gate = gate_for(current_app)
    assert gate.check(session, late, T0 + timedelta(minutes=4)).allowed
    decision = gate.check(session, late, T0 + timedelta(minutes=6))
    assert [r.code for r in decision.reasons] == ["expired"]


@pytest.fixture
def asking_campaign(session, campaign):
    campaign.stop_asks_scope = True
    session.commit()
    return campaign


def _customer_with_updates_and_offers(session):
    from core.consent import app_ledger
    from core.models import Disclosure, MessageType

    contact = Contact(phone=CUSTOMER)
    disclosure = Disclosure(name="Checkout", text="I agree to order texts. Reply STOP to cancel.")
    session.add_all([contact, disclosure])
    session.flush()
    transactional = session.scalars(sa.select(MessageType).filter_by(slug="transactional")).one()
    app_ledger(current_app, session).opt_in(
        contact, transactional, source="web_form", disclosure=disclosure,
        occurred_at=T0 - timedelta(days=3), actor="web form")
    session.commit()


def test_the_stop_confirmation_may_ask_the_scope_and_stop_covers_all_until_answered(
        session, asking_campaign):
    _customer_with_updates_and_offers(session)
    text(session, "JOIN", "SM1")
    outcome = text(session, "STOP", "SM2", at=T0 + timedelta(minutes=1))
    assert outcome.reply.body.endswith(
        "Reply HELP for help. To stop only promotions and keep other messages from us, reply 1.")
    assert set(states(session).values()) == {"opted_out"}
    assert suppressed(session)
    assert outcome.ticket.kind == "scope" and outcome.ticket.status == "open"


def test_answering_1_stops_only_promotions(session, asking_campaign):
    _customer_with_updates_and_offers(session)
    text(session, "JOIN", "SM1")
    text(session, "STOP", "SM2", at=T0 + timedelta(minutes=1))
    answer = text(session, "1", "SM3", at=T0 + timedelta(minutes=3))
    assert states(session) == {"marketing": "opted_out", "transactional": "opted_in",
                               "support": "opted_out"}
    assert not suppressed(session)
    assert answer.event.disclosure.name == "STOP scope question: Promotions"
    assert answer.ticket.status == "answered"
    assert answer.reply.body == ("Bloom & Branch: You will get no more promotions. Other messages "
                                 "continue. Reply STOP to stop everything.")


def test_a_late_answer_changes_nothing(session, asking_campaign):
    _customer_with_updates_and_offers(session)
    text(session, "STOP", "SM2", at=T0)
    late = text(session, "1", "SM3", at=T0 + timedelta(hours=25))
    assert late.classification.kind == "none" and late.event is None
    assert set(states(session).values()) == {"opted_out"}


def test_a_revocation_in_a_sentence_opts_out_of_everything_with_the_text_as_evidence(
        session, campaign):
    text(session, "JOIN", "SM1")
    body = "I told you guys already, I don't want these texts anymore"
    outcome = text(session, body, "SM2", at=T0 + timedelta(minutes=3))
    assert outcome.classification.kind == "opt_out"
    assert set(states(session).values()) == {"opted_out"}
    assert suppressed(session)
    assert outcome.event.message_type_id is None  # every message type
    assert outcome.event.evidence.keyword_text == body
    assert outcome.reply.body.startswith("Bloom & Branch: You have been unsubscribed")


def test_a_revocation_that_names_a_type_stops_only_that_type_and_says_so(session, campaign):
    from core.consent import app_ledger
    from core.models import Disclosure, MessageType

    text(session, "JOIN", "SM1")
    contact = session.scalars(sa.select(Contact).filter_by(phone=CUSTOMER)).one()
    transactional = session.scalars(sa.select(MessageType).filter_by(slug="transactional")).one()
    disclosure = Disclosure(name="Order updates", version=1, text="Order texts from us.")
    session.add(disclosure)
    app_ledger(current_app, session).opt_in(contact, transactional, source="web_form",
                                            disclosure=disclosure, occurred_at=T0,
                                            actor="web form")
    session.commit()
    outcome = text(session, "No more promos please", "SM2", at=T0 + timedelta(minutes=1))
    assert states(session) == {"marketing": "opted_out", "transactional": "opted_in"}
    assert not suppressed(session)
    assert outcome.reply.body == (
        "Bloom & Branch: You are unsubscribed from marketing texts and will get no more of "
        "them. Reply STOP to end all texts, HELP for help.")
    again = text(session, "stop sending promos", "SM3", at=T0 + timedelta(minutes=2))
    assert again.reply is None  # one confirmation


def test_cancel_my_appointment_is_a_flow_event_not_an_opt_out(session, campaign):
    from core.models import FlowEvent

    text(session, "JOIN", "SM1")
    outcome = text(session, "I need to cancel my appointment tomorrow", "SM2")
    assert outcome.classification.kind == "none"
    assert states(session)["marketing"] == "opted_in"
    event = session.scalars(sa.select(FlowEvent)).one()
    assert (event.kind, event.source) == ("appointment.cancel_requested", "sms")
    assert event.payload["text"] == "I need to cancel my appointment tomorrow"
    text(session, "I need to cancel my appointment tomorrow", "SM2")  # the provider retries
    assert session.scalar(sa.select(sa.func.count(FlowEvent.id))) == 1


def test_a_bare_yes_from_someone_never_opted_in_starts_no_consent(session, campaign):
    outcome = text(session, "YES", "SM1")
    assert outcome.classification.kind == "opt_in"
    assert outcome.event is None and outcome.reply is None
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 0


def test_a_spanish_revocation_opts_out(session, campaign):
    text(session, "JOIN", "SM1")
    outcome = text(session, "Por favor ya no me manden mensajes", "SM2")
    assert outcome.classification.kind == "opt_out"
    assert set(states(session).values()) == {"opted_out"}
