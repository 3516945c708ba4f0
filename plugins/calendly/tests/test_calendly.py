"""Calendly's webhooks as Calendly signs and sends them (payloads shaped like the examples in
Calendly's webhook reference): genuine, forged, stale, replayed, redelivered, malformed; a
booking confirmed in the invitee's own time zone with reminders, a cancellation that stops
them and offers a new time, and no text without transactional consent."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import testing, worker
from core.db import db
from core.flows import seeds
from core.integrations import connections
from core.models import (
    Campaign,
    ConsentEvent,
    Contact,
    Disclosure,
    FlowEvent,
    FlowRun,
)

KEY = "calendly-signing-key-7f3a"
PHONE = "+14155550177"
STARTS = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

CREATED = {
    "created_at": "2026-11-23T17:51:19.000000Z",
    "created_by": "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
    "event": "invitee.created",
    "payload": {
        "cancel_url": "https://calendly.com/cancellations/AAAAAAAAAAAAAAAA",
        "created_at": "2026-11-23T17:51:18.327602Z",
        "email": "test@example.com",
        "event": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2",
        "first_name": "John", "last_name": "Doe", "name": "John Doe",
        "new_invitee": None, "old_invitee": None,
        "questions_and_answers": [{"answer": "Roses for a wedding", "position": 0,
                                   "question": "What is the occasion?"}],
        "reschedule_url": "https://calendly.com/reschedulings/AAAAAAAAAAAAAAAA",
        "rescheduled": False, "status": "active",
        "text_reminder_number": "+1 415-555-0177",
        "timezone": "America/Los_Angeles",
        "tracking": {"utm_campaign": None, "utm_source": None},
        "updated_at": "2026-11-23T17:51:18.341657Z",
        "uri": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/7c2b4c36",
        "canceled": False,
        "scheduled_event": {
            "uri": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2",
            "name": "Wedding flowers consultation", "status": "active",
            "start_time": STARTS.isoformat().replace("+00:00", ".000000Z"),
            "end_time": (STARTS + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
            "event_type": "https://api.calendly.com/event_types/GBGBDCAADAEDCRZ2",
            "location": {"type": "physical", "location": "500 Market St"},
        },
    },
}


def canceled(rescheduled=False):
    body = copy.deepcopy(CREATED)
    body["event"] = "invitee.canceled"
    body["payload"].update(status="canceled", canceled=True, rescheduled=rescheduled,
                           cancellation={"canceled_by": "John Doe", "reason": "Schedule conflict",
                                         "canceler_type": "invitee",
                                         "created_at": datetime.now(UTC).isoformat()})
    return body


@pytest.fixture
def app(tmp_path):
    app = testing.make_app(tmp_path, "calendly", PUBLIC_URL="https://sms.bloom.example")
    with app.app_context():
        sender = testing.add_sender("+14155550142", "sandbox")
        campaign = db.session.get(Campaign, sender.campaign_id)
        campaign.brand.support_phone = "+14155550100"
        campaign.brand.link_domain = "https://go.bloomandbranch.example"
        for seed in seeds.SEED_FLOWS:
            seeds.create(db.session, seed["name"], campaign, enabled=True)
        db.session.add(Disclosure(name="Calendly reminders", text=(
            "Bloom & Branch will text appointment confirmations and reminders to this number. "
            "Msg & data rates may apply. Reply STOP to cancel, HELP for help.")))
        connections.save(db.session, app, app.extensions["consentdesk"].integrations["calendly"],
                         {"signing_key": KEY, "reminder_consent": True,
                          "disclosure": "Calendly reminders",
                          "booking_url": "https://calendly.com/bloom/consultation"}, "admin")
        db.session.commit()
        yield app


def send(app, body, key=KEY, t=None, header=None, raw=None):
    db.session.rollback()
    data = raw if raw is not None else json.dumps(body).encode()
    t = str(int(time.time()) if t is None else t)
    signature = hmac.new(key.encode(), t.encode() + b"." + data, hashlib.sha256).hexdigest()
    headers = {"Calendly-Webhook-Signature": header if header is not None
               else f"t={t},v1={signature}", "Content-Type": "application/json"}
    return app.test_client().post("/hooks/integrations/calendly/events", data=data,
                                  headers=headers)


def sweep(app, at):
    db.session.rollback()
    worker.sweep(app, at)


last = testing.last_delivery


texts = testing.outbound_texts


def test_a_booking_is_confirmed_at_once_in_the_invitees_time_zone(app):
    assert send(app, CREATED).status_code == 200
    assert last().status == "processed", last().outcome
    contact = db.session.scalars(sa.select(Contact)).one()
    assert contact.phone == PHONE and contact.first_name == "John"
    consent = db.session.scalars(sa.select(ConsentEvent)).one()
    assert consent.source == "calendly" and consent.message_type.slug == "transactional"
    assert "asked for text reminders" in consent.source_detail
    [confirmation] = texts()
    local = STARTS.astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles"))
    assert f"{local:%-I:%M %p}" in confirmation.body, confirmation.body
    assert confirmation.status in ("delivered", "sent", "queued")


def test_reminders_go_24_and_2_hours_before(app):
    send(app, CREATED)
    sweep(app, STARTS - timedelta(hours=24))
    sweep(app, STARTS - timedelta(hours=2))
    bodies = [m.body for m in texts()]
    assert len(bodies) == 3 and "reminder" in bodies[1] and "today" in bodies[2]


def test_a_cancellation_stops_the_reminders_and_offers_a_new_time(app):
    send(app, CREATED)
    assert send(app, canceled()).status_code == 200
    assert last().status == "processed", last().outcome
    sweep(app, STARTS - timedelta(hours=1))
    bodies = [m.body for m in texts()]
    assert len(bodies) == 2, bodies
    assert "is cancelled" in bodies[1] and "go.bloomandbranch.example" in bodies[1]
    booked = db.session.scalars(sa.select(FlowRun).join(FlowEvent).where(
        FlowEvent.kind == "appointment.booked")).one()
    assert booked.status == "stopped"


def test_a_reschedule_stops_the_old_reminders_without_a_rebook_text(app):
    send(app, CREATED)
    send(app, canceled(rescheduled=True))
    assert [e.kind for e in db.session.scalars(sa.select(FlowEvent))] == ["appointment.booked"]
    assert len(texts()) == 1


def test_no_text_without_transactional_consent(app):
    connection = connections.find(db.session, "calendly")
    connection.settings = {**connection.settings, "reminder_consent": False}
    db.session.commit()
    send(app, CREATED)
    [message] = texts()
    assert message.status == "blocked" and "consent" in " ".join(message.block_reasons)


def test_the_phone_can_come_from_an_answer(app):
    body = copy.deepcopy(CREATED)
    body["payload"]["text_reminder_number"] = None
    body["payload"]["questions_and_answers"].append(
        {"question": "Mobile phone", "answer": "(415) 555-0178", "position": 1})
    send(app, body)
    assert db.session.scalars(sa.select(Contact.phone)).one() == "+14155550178"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 0


def test_a_booking_without_a_phone_is_ignored(app):
    body = copy.deepcopy(CREATED)
    body["payload"]["text_reminder_number"] = None
    send(app, body)
    assert last().status == "ignored" and "no phone" in last().outcome


@pytest.mark.parametrize("case", ["forged", "wrong key", "no header", "no v1", "stale",
                                  "future", "tampered"])
def test_forged_stale_and_tampered_deliveries_are_refused(app, case):
    now = int(time.time())
    if case == "forged":
        answer = send(app, CREATED, header=f"t={now},v1={'ab' * 32}")
    elif case == "wrong key":
        answer = send(app, CREATED, key="guessed")
    elif case == "no header":
        answer = send(app, CREATED, header="")
    elif case == "no v1":
        answer = send(app, CREATED, header=f"t={now}")
    elif case == "stale":
        answer = send(app, CREATED, t=now - 181)
    elif case == "future":
        answer = send(app, CREATED, t=now + 200)
    else:
        data = json.dumps(CREATED).encode()
        good = hmac.new(KEY.encode(), f"{now}.".encode() + data, hashlib.sha256).hexdigest()
        answer = send(app, None, raw=data.replace(b"John", b"Eve!"), header=f"t={now},v1={good}")
    assert answer.status_code == 401
    assert last().status == "rejected" and last().event_id is None
    assert texts() == [] and db.session.scalar(sa.select(sa.func.count())
                                                .select_from(Contact)) == 0


def test_a_replayed_signature_is_refused_once_stale_and_a_redelivery_counts_once(app):
    for _ in range(2):
        assert send(app, CREATED).status_code == 200
    assert last().redeliveries == 1 and len(texts()) == 1


@pytest.mark.parametrize(("raw", "says"), [
    (b"not json", "not JSON"),
    (b'{"event": "invitee.created"}', "no payload"),
    (json.dumps({**CREATED, "payload": {**CREATED["payload"], "scheduled_event": {}}}).encode(),
     "start_time"),
])
def test_malformed_deliveries_fail_with_the_reason(app, raw, says):
    assert send(app, None, raw=raw).status_code == 200
    assert last().status == "failed" and says in last().outcome, last().outcome


def test_other_events_are_acknowledged_and_logged(app):
    send(app, {"event": "routing_form_submission.created", "payload": {"uri": "x"}})
    assert last().status == "ignored"
