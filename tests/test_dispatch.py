"""The dispatcher: gate again at dispatch, exactly once, retries, dead letters, limits."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fakes import FakePlugin, FakeVendor
from flask import current_app

from core.consent import app_ledger
from core.consent.suppression import is_suppressed
from core.db import db
from core.gate.check import Outgoing, gate_for
from core.models import (
    Brand,
    Campaign,
    ConsentEvent,
    Contact,
    Disclosure,
    Message,
    MessageType,
    Sender,
)
from core.sending import dispatch as dispatcher
from core.sending import outbox, pace

NY = ZoneInfo("America/New_York")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=NY)
BODY = "Bloom & Branch: your order shipped. Reply STOP to opt out."


@pytest.fixture
def vendor():
    return FakeVendor()


@pytest.fixture
def app(make_app, vendor):
    return make_app(EXTRA_PLUGINS=[FakePlugin(vendor)])


@pytest.fixture
def world(session):
    return build_world(session)


def build_world(session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
    campaign = Campaign(brand=brand, name="Orders", use_case="ACCOUNT_NOTIFICATION")
    sender = Sender(address="+14155550142", campaign=campaign, provider="fake")
    disclosure = Disclosure(name="Checkout", text="Order texts. Reply STOP to cancel.")
    session.add_all([brand, campaign, sender, disclosure])
    session.flush()
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    return {"sender": sender, "disclosure": disclosure, "types": types,
            "ledger": app_ledger(current_app, session)}


def person(session, world, phone, slug="transactional"):
    contact = Contact(phone=phone)
    session.add(contact)
    session.flush()
    world["ledger"].opt_in(contact, world["types"][slug], source="web_form",
                           disclosure=world["disclosure"], actor="checkout",
                           occurred_at=datetime(2026, 1, 5, tzinfo=UTC))
    return contact


def queue_text(session, world, contact, key, slug="transactional", at=NOON, sender=None):
    outgoing = Outgoing(contact=contact, message_type=world["types"][slug], body=BODY,
                        sender=sender or world["sender"], brand=None)
    return outbox.enqueue(session, gate_for(current_app), outgoing, key=key, at=at)


def queued(session, world, phones):
    ids = [queue_text(session, world, person(session, world, p), f"k{p}").id for p in phones]
    session.commit()
    return ids


def run(ids, now):
    """Dispatch as a worker would: the test's own transaction (SQLite's write lock) ends first."""
    db.session.commit()
    return dispatcher.dispatch(current_app, ids, now=now)


def settle(now):
    db.session.commit()
    return dispatcher.recover(current_app, now=now)


def statuses(session, ids):
    session.expire_all()
    return [session.get(Message, i).status for i in ids]


PHONES = [f"+1212555{n:04d}" for n in range(100, 110)]


def test_queue_gate_provider_sent(app, session, world, vendor):
    ids = queued(session, world, PHONES[:3])
    tally = run(ids, now=NOON)
    assert tally["sent"] == 3
    assert statuses(session, ids) == ["sent"] * 3
    message = session.get(Message, ids[0])
    assert message.provider == "fake" and message.attempts == 1
    assert message.provider_message_id == FakeVendor.id_for(message.idempotency_key)
    assert vendor.calls == PHONES[:3]


def test_a_duplicate_trigger_or_a_second_dispatch_sends_nothing_new(app, session, world, vendor):
    ids = queued(session, world, PHONES[:2])
    contact = session.get(Message, ids[0]).contact
    again = queue_text(session, world, contact, f"k{PHONES[0]}")
    session.commit()
    assert again.id == ids[0]
    run(ids, now=NOON)
    assert run(ids, now=NOON) == {}
    assert vendor.calls == PHONES[:2]


def test_consent_withdrawn_after_queueing_blocks_at_dispatch(app, session, world, vendor):
    ids = queued(session, world, PHONES[:2])
    contact = session.get(Message, ids[1]).contact
    world["ledger"].opt_out(contact, None, source="keyword", actor="inbound SMS",
                            occurred_at=NOON - timedelta(minutes=1))
    session.commit()
    tally = run(ids, now=NOON)
    assert tally == {"sent": 1, "blocked": 1}
    assert session.get(Message, ids[1]).block_reasons == [
        "suppressed: the number is on the suppression list"]
    assert vendor.calls == PHONES[:1]


def test_a_stop_that_commits_mid_batch_stops_every_later_send_to_that_number(
        app, session, world, vendor):
    ids = queued(session, world, PHONES[:4])
    later = queue_text(session, world, session.get(Message, ids[3]).contact, "second text")
    session.commit()
    target = PHONES[3]

    def stop_arrives(text):
        if text.to == PHONES[1]:  # while the batch is out, PHONES[3] texts STOP
            with db.sessionmaker() as other, other.begin():
                contact = other.scalars(sa.select(Contact).filter_by(phone=target)).one()
                app_ledger(app, other).opt_out(contact, None, source="keyword",
                                               actor="inbound SMS", occurred_at=NOON)

    vendor.before_send = stop_arrives
    tally = run(ids + [later.id], now=NOON)
    assert target not in vendor.calls
    assert vendor.calls == PHONES[:3]
    assert tally["sent"] == 3 and tally["released"] == 2 and tally["blocked"] == 2
    assert statuses(session, [ids[3], later.id]) == ["blocked", "blocked"]


def test_crash_between_provider_accept_and_commit_is_reconciled_not_resent(
        app, session, world, vendor):
    ids = queued(session, world, PHONES[:2])

    def crash(text):
        if text.to == PHONES[1]:
            raise KeyboardInterrupt("worker killed")  # after the vendor accepted PHONES[0]

    vendor.before_send = crash
    with pytest.raises(KeyboardInterrupt):
        run(ids, now=NOON)
    vendor.before_send = None
    assert statuses(session, ids) == ["sending", "sending"]
    assert len(vendor.accepted) == 1  # the crash came after the first text was accepted
    assert run(ids, now=NOON) == {}  # a task re-run does not resend

    tally = settle(now=NOON + timedelta(minutes=16))
    assert tally == {"found": 1, "requeued": 1}
    assert statuses(session, ids) == ["sent", "queued"]
    run(ids, now=NOON + timedelta(minutes=16))
    assert vendor.calls == [PHONES[0], PHONES[1], PHONES[1]]  # the crash hit before PHONES[1]
    assert sorted(vendor.accepted) == [f"k{p}" for p in PHONES[:2]]  # one text each
    assert statuses(session, ids) == ["sent", "sent"]


def test_a_provider_that_cannot_reconcile_never_resends_an_uncertain_text(
        app, session, world, vendor, monkeypatch):
    monkeypatch.setattr(FakeVendor, "capabilities", FakeVendor.capabilities.__class__())
    ids = queued(session, world, PHONES[:1])
    vendor.behaviour[PHONES[0]] = "timeout"
    assert run(ids, now=NOON) == {"dead": 1}
    message = session.get(Message, ids[0])
    assert "not resent automatically" in message.last_error


def test_5xx_retries_with_backoff_then_dead_letters_and_admin_retry(app, session, world, vendor):
    ids = queued(session, world, PHONES[:1])
    vendor.behaviour[PHONES[0]] = "500"
    huey = app.extensions["consentdesk"].queue.huey
    huey.flush()
    at = NOON
    waits = []
    for attempt in range(1, dispatcher.MAX_ATTEMPTS):
        assert run(ids, now=at) == {"retry": 1}
        message = session.get(Message, ids[0])
        session.refresh(message)
        assert message.status == "queued" and message.attempts == attempt
        waits.append(message.send_after - at)
        assert huey.scheduled_count() + huey.pending_count() == attempt  # a task per retry
        assert run(ids, now=at) == {}  # not due yet
        at = message.send_after
    assert run(ids, now=at) == {"dead": 1}
    assert waits[0] <= timedelta(seconds=30) < waits[-1] <= timedelta(minutes=8)
    assert all(later > earlier * 0.9 for earlier, later in zip(waits, waits[1:], strict=False))

    vendor.behaviour.clear()
    assert dispatcher.retry_dead(session, ids) == ids
    session.commit()
    assert run(ids, now=at) == {"sent": 1}


def test_a_timeout_is_checked_with_the_provider_before_the_retry(app, session, world, vendor):
    ids = queued(session, world, PHONES[:1])
    vendor.behaviour[PHONES[0]] = "timeout"
    assert run(ids, now=NOON) == {"retry": 1}
    vendor.behaviour.clear()
    message = session.get(Message, ids[0])
    assert run(ids, now=message.send_after) == {"sent": 1}
    assert vendor.calls == [PHONES[0]]  # found at the vendor, not sent again


def test_4xx_is_terminal(app, session, world, vendor):
    ids = queued(session, world, PHONES[:1])
    vendor.behaviour[PHONES[0]] = "400"
    assert run(ids, now=NOON) == {"failed": 1}
    message = session.get(Message, ids[0])
    assert message.error_code == "21211" and message.attempts == 1


def test_recipient_opted_out_at_the_provider_records_an_opt_out(app, session, world, vendor):
    ids = queued(session, world, PHONES[:1])
    vendor.behaviour[PHONES[0]] = "opted_out"
    assert run(ids, now=NOON) == {"failed": 1}
    event = session.scalars(sa.select(ConsentEvent).where(ConsentEvent.action == "opt_out")).one()
    assert event.source == "provider" and "21610" in event.actor
    assert is_suppressed(session, app.config["SUPPRESSION_KEY"], PHONES[0])


def test_sender_throughput_limit_pauses_the_sender_and_keeps_the_queue(
        app, session, world, vendor, monkeypatch):
    monkeypatch.setattr(dispatcher, "HOLD", 0.0)  # only the slots due now: nothing waits
    world["sender"].per_second = 2
    ids = queued(session, world, PHONES[:5])
    assert run(ids, now=NOON) == {"sent": 1, "paused": 4}
    assert statuses(session, ids) == ["sent", "queued", "queued", "queued", "queued"]
    interval = timedelta(seconds=0.5 * pace.MARGIN)  # evenly spaced, 1% wider than the limit
    resume = session.get(Message, ids[1]).send_after
    first = NOON + timedelta(seconds=dispatcher.LEAD)  # the reservation's own round trip
    assert first + interval <= resume < first + interval + timedelta(milliseconds=50)
    assert session.get(Message, ids[1]).attempts == 0  # a paused text has not been tried
    assert run(ids, now=resume - interval / 2) == {}  # not due yet
    assert run(ids, now=resume) == {"sent": 1, "paused": 3}


def test_a_limited_sender_waits_for_its_slots_within_the_hold(app, session, world, vendor):
    world["sender"].per_second = 20
    ids = queued(session, world, PHONES[:6])
    vendor.times = []
    vendor.before_send = lambda text: vendor.times.append(time.monotonic())
    assert run(ids, now=NOON) == {"sent": 6}  # all within the hold: they wait their turn
    gaps = [b - a for a, b in zip(vendor.times, vendor.times[1:], strict=False)]
    # Each waits for its slot, 50.5 ms apart, handed over at most LATE_SLOT after it.
    assert min(gaps) >= 0.05 * pace.MARGIN - dispatcher.LATE_SLOT


def test_daily_cap_resets_at_midnight_pacific(app, session, world, vendor):
    world["sender"].daily_cap = 1
    ids = queued(session, world, PHONES[:2])
    late_evening_pacific = datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert run(ids, now=late_evening_pacific) == {"sent": 1, "paused": 1}
    resume = session.get(Message, ids[1]).send_after
    assert resume == datetime(2026, 11, 24, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert run(ids, now=resume) == {"sent": 1}


def test_unknown_provider_dead_letters(app, session, world, vendor):
    world["sender"].provider = "nonesuch"
    ids = queued(session, world, PHONES[:1])
    assert run(ids, now=NOON) == {"dead": 1}
    assert "nonesuch" in session.get(Message, ids[0]).last_error
