"""The generic webhook: Standard Webhooks signatures (the spec's own vector), genuine, forged,
stale, tampered, redelivered and malformed deliveries, the admin-configured mapping to leads,
consent, events and conversions; and Consentdesk events forwarded to a real HTTP server,
signed, retried with backoff."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from consentdesk_webhook import Webhook, parse_map, sign

from core import testing
from core.db import db
from core.integrations import connections, outgoing
from core.models import (
    ConsentEvent,
    Contact,
    Conversion,
    Disclosure,
    FlowEvent,
    OutgoingWebhook,
)
from hooks.integrations import IntegrationRequest

SECRET = "whsec_" + base64.b64encode(b"incoming-secret-0123456789").decode()
OUT_SECRET = "whsec_" + base64.b64encode(b"outgoing-secret-9876543210").decode()
MAPPING = """# CRM events
lead.created = flow:form.submitted
subscribed = opt_in:marketing
unsubscribed = opt_out:all
purchase = conversion:order.created
member.updated = contact
"""


class Receiver:
    """A real HTTP server that records what it is sent; ``fail`` answers 503 that many times."""

    def __init__(self):
        self.received, self.fail = [], 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail:
                    outer.fail -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/consentdesk-events"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def app(tmp_path, receiver):
    app = testing.make_app(tmp_path, "webhook")
    with app.app_context():
        testing.add_sender("+14155550142", "sandbox")
        db.session.add(Disclosure(name="CRM sign-up", text=(
            "Bloom & Branch: recurring marketing texts. Msg & data rates may apply. "
            "Reply STOP to cancel, HELP for help.")))
        connections.save(db.session, app, app.extensions["consentdesk"].integrations["webhook"], {
            "signing_secret": SECRET, "event_map": MAPPING, "event_path": "type",
            "phone_path": "data.phone", "first_name_path": "data.first_name",
            "email_path": "data.email", "occurred_at_path": "data.occurred_at",
            "ip_path": "data.ip", "user_agent_path": "data.user_agent",
            "page_url_path": "data.page_url", "value_path": "data.total",
            "attributes": "birthday = data.birthday\ntier = data.loyalty.tier",
            "disclosure": "CRM sign-up", "forward_url": receiver.url,
            "forward_events": ["consent.changed", "conversion.recorded"],
            "forward_secret": OUT_SECRET}, "admin")
        db.session.commit()
        yield app


def send(app, body, msg_id=None, secret=SECRET, stamp=None, signature=None, raw=None):
    db.session.rollback()
    data = raw if raw is not None else json.dumps(body).encode()
    msg_id = msg_id or f"msg_{abs(hash(data))}"
    stamp = int(time.time()) if stamp is None else stamp
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(stamp),
               "webhook-signature": signature if signature is not None
               else sign(secret, msg_id, stamp, data), "Content-Type": "application/json"}
    return app.test_client().post("/hooks/integrations/webhook/events", data=data,
                                  headers=headers)


def due_now(row_id):
    """Make a waiting row due and end the test's transaction (SQLite: it holds the lock)."""
    row = db.session.get(OutgoingWebhook, row_id)
    row.next_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    db.session.close()


last = testing.last_delivery


SUBSCRIBED = {"type": "subscribed", "data": {
    "phone": "+1 212 555 0199", "first_name": "Lee", "email": "lee@example.com",
    "occurred_at": "2026-12-01T10:00:00Z", "ip": "198.51.100.7", "user_agent": "Mozilla/5.0",
    "page_url": "https://crm.example/forms/9", "birthday": "1990-04-12",
    "loyalty": {"tier": "gold"}}}


def test_the_standard_webhooks_vector():
    """The example in the Standard Webhooks specification."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    request = IntegrationRequest("events", "x", "POST", {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
        "webhook-signature": f"v1,bm90LXRoaXMtb25l {expected}"}, body)
    assert Webhook().verify(request, {"signing_secret": secret})  # one of several matches


def test_a_subscription_is_an_opt_in_with_the_mapped_evidence(app):
    assert send(app, SUBSCRIBED).status_code == 200
    assert last().status == "processed", last().outcome
    event = db.session.scalars(sa.select(ConsentEvent)).one()
    assert event.source == "webhook" and event.disclosure.name == "CRM sign-up"
    assert event.page_url == "https://crm.example/forms/9"
    assert event.evidence.ip == "198.51.100.7"
    contact = db.session.scalars(sa.select(Contact)).one()
    assert contact.first_name == "Lee" and contact.phone == "+12125550199"
    assert contact.attributes == {"birthday": "1990-04-12", "tier": "gold"}


def test_events_conversions_and_opt_outs_follow_the_mapping(app):
    send(app, SUBSCRIBED)
    send(app, {"type": "lead.created", "data": {"phone": "2125550199", "form": "quote"}})
    send(app, {"type": "purchase", "data": {"phone": "2125550199", "total": "59.90"}})
    send(app, {"type": "unsubscribed", "data": {"phone": "2125550199"}})
    assert [e.kind for e in db.session.scalars(sa.select(FlowEvent))] == ["form.submitted"]
    assert float(db.session.scalars(sa.select(Conversion)).one().value) == pytest.approx(59.9)
    assert [e.action for e in db.session.scalars(sa.select(ConsentEvent)
                                                 .order_by(ConsentEvent.seq))] == \
        ["opt_in", "opt_out"]


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"type": "ticket.closed", "data": {"phone": "2125550199"}}, "ignored", "no line"),
    ({"type": "subscribed", "data": {}}, "failed", "no phone"),
    ({"type": "subscribed", "data": {"phone": "12"}}, "failed", "phone"),
    ({"type": "purchase", "data": {"phone": "2125550199", "total": "lots"}}, "failed",
     "amount"),
    ({"type": "subscribed", "data": {"phone": "2125550199", "occurred_at": "yesterday"}},
     "failed", "not a time"),
    ([1, 2], "failed", "JSON object"),
])
def test_deliveries_it_cannot_act_on_say_why(app, body, status, says):
    assert send(app, body).status_code == 200
    assert last().status == status and says in last().outcome, last().outcome


@pytest.mark.parametrize("case", ["forged", "wrong secret", "stale", "future", "tampered",
                                  "no id"])
def test_forged_stale_and_tampered_deliveries_are_refused(app, case):
    now = int(time.time())
    if case == "forged":
        answer = send(app, SUBSCRIBED, signature="v1," + base64.b64encode(b"x" * 32).decode())
    elif case == "wrong secret":
        answer = send(app, SUBSCRIBED, secret="whsec_" + base64.b64encode(b"guess" * 4).decode())
    elif case == "stale":
        answer = send(app, SUBSCRIBED, stamp=now - 301)
    elif case == "future":
        answer = send(app, SUBSCRIBED, stamp=now + 301)
    elif case == "no id":
        db.session.rollback()
        answer = app.test_client().post("/hooks/integrations/webhook/events",
                                        data=json.dumps(SUBSCRIBED))
    else:
        data = json.dumps(SUBSCRIBED).encode()
        answer = send(app, None, raw=data.replace(b"Lee", b"Eve"), msg_id="msg_1",
                      signature=sign(SECRET, "msg_1", now, data), stamp=now)
    assert answer.status_code == 401 and last().status == "rejected"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_redelivery_with_the_same_id_is_processed_once(app):
    for _ in range(3):
        send(app, SUBSCRIBED, msg_id="msg_same")
    assert last().redeliveries == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 1


def test_a_bad_mapping_line_is_refused_by_the_settings_form():
    with pytest.raises(ValueError, match="line 2"):
        parse_map("a = flow:form.submitted\nb = delete:everything")


def test_consent_changes_are_forwarded_signed(app, receiver):
    send(app, SUBSCRIBED)
    deadline = time.time() + 5
    while not receiver.received and time.time() < deadline:
        time.sleep(0.05)
    [(headers, body)] = receiver.received
    event = json.loads(body)
    assert event["type"] == "consent.changed"
    assert event["data"]["phone"] == "+12125550199" and event["data"]["action"] == "opt_in"
    expected = sign(OUT_SECRET, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    assert headers["webhook-signature"] == expected
    row = db.session.scalars(sa.select(OutgoingWebhook)).one()
    assert row.status == "sent" and row.response_status == 204


def test_a_failing_receiver_is_retried_with_backoff(app, receiver):
    receiver.fail = 2
    send(app, SUBSCRIBED)
    db.session.rollback()
    row = db.session.scalars(sa.select(OutgoingWebhook)).one()
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    assert timedelta(seconds=50) < row.next_at - datetime.now(UTC) <= timedelta(minutes=1)
    row_id = row.id
    due_now(row_id)
    assert "retry" in outgoing.send(app, row_id)  # the second failure: two minutes
    db.session.rollback()
    row = db.session.get(OutgoingWebhook, row_id)
    assert row.attempts == 2 and row.next_at - datetime.now(UTC) > timedelta(minutes=1)
    due_now(row_id)
    assert outgoing.send(app, row_id) == "sent"
    assert len(receiver.received) == 1


def test_an_unreachable_receiver_gives_up_after_eight_attempts(app):
    connection = connections.find(db.session, "webhook")
    connection.settings = {**connection.settings, "forward_url": "http://127.0.0.1:9/nothing"}
    db.session.commit()
    outgoing.forget_connections(app)
    send(app, SUBSCRIBED)
    db.session.rollback()
    row_id = db.session.scalars(sa.select(OutgoingWebhook.id)).one()
    for _ in range(outgoing.ATTEMPTS - 1):
        due_now(row_id)
        outgoing.send(app, row_id)
    db.session.rollback()
    row = db.session.get(OutgoingWebhook, row_id)
    assert row.status == "failed" and row.attempts == outgoing.ATTEMPTS
    assert "Connect" in row.last_error


def test_nothing_is_forwarded_when_no_event_is_ticked(app, receiver):
    connection = connections.find(db.session, "webhook")
    connection.settings = {**connection.settings, "forward_events": []}
    db.session.commit()
    outgoing.forget_connections(app)
    send(app, SUBSCRIBED)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingWebhook)) == 0
