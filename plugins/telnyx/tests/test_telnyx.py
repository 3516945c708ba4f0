"""The Telnyx provider through the official SDK, against a local server answering like Telnyx,
with webhooks signed as Telnyx signs them (Ed25519 over timestamp and body)."""

import time

import pytest
import sqlalchemy as sa
from fake_telnyx import SLOW, THROTTLED, FakeTelnyx, Signer, event, now
from flask import current_app

from core import testing
from core.consent.suppression import is_suppressed
from core.db import db
from core.models import ConsentEvent, Sender, WebhookEvent

API_KEY = "KEY0123456789"
SENDER, PHONE = "+14155550142", "+12125550123"
PUBLIC = "https://sms.bloom.example"


@pytest.fixture
def telnyx_api():
    with FakeTelnyx(API_KEY) as server:
        yield server


@pytest.fixture
def signer():
    return Signer()


@pytest.fixture
def app(tmp_path, telnyx_api, signer):
    app = testing.make_app(tmp_path, "telnyx", PUBLIC_URL=PUBLIC, TELNYX_API_KEY=API_KEY,
                           TELNYX_PUBLIC_KEY=signer.public_key, TELNYX_API_BASE=telnyx_api.url,
                           TELNYX_TIMEOUT="1")
    with app.app_context():
        testing.add_sender(SENDER, "telnyx")
        yield app


def post(app, signer, kind, body, query="", **sign):
    db.session.commit()
    path = f"/hooks/providers/telnyx/{kind}" + (f"?{query}" if query else "")
    return app.test_client().post(path, data=body, headers=signer.headers(body, **sign))


def inbound(text, message_id="in-1"):
    return event("message.received", {
        "id": message_id, "direction": "inbound", "text": text, "type": "SMS",
        "from": {"phone_number": PHONE}, "to": [{"phone_number": SENDER, "status": "webhook_delivered"}],
        "received_at": now()})


def receipt(message, status, errors=()):
    return event("message.finalized", {
        "id": message.provider_message_id, "direction": "outbound", "text": message.body,
        "from": {"phone_number": SENDER}, "to": [{"phone_number": message.phone, "status": status}],
        "errors": list(errors)})


def test_send_goes_through_the_messaging_api_with_a_webhook_url(app, telnyx_api):
    message = testing.queue_text(PHONE)
    assert (message.status, message.provider) == ("sent", "telnyx")
    [created] = telnyx_api.sent_to(PHONE)
    assert message.provider_message_id == created["id"]
    assert created["webhook_url"] == f"{PUBLIC}/hooks/providers/telnyx/status?message={message.id}"


def test_signed_receipts_move_forward_only(app, signer):
    message = testing.queue_text(PHONE)
    query = f"message={message.id}"
    assert post(app, signer, "status", receipt(message, "delivered"), query).status_code == 200
    late = event("message.sent", {"id": message.provider_message_id, "from": {"phone_number": SENDER},
                                  "to": [{"phone_number": PHONE, "status": "sent"}]})
    assert post(app, signer, "status", late, query).status_code == 200
    assert testing.reload(message.id).status == "delivered"


def test_a_failed_delivery_keeps_the_carrier_error(app, signer):
    message = testing.queue_text(PHONE)
    body = receipt(message, "delivery_failed", [{"code": "40008", "detail": "Undeliverable"}])
    post(app, signer, "status", body, f"message={message.id}")
    stored = testing.reload(message.id)
    assert (stored.status, stored.error_code, stored.last_error) == (
        "undelivered", "40008", "Undeliverable")


def test_forged_or_replayed_webhooks_are_refused(app, signer):
    testing.opted_in(PHONE)
    body = inbound("STOP")
    assert post(app, Signer(), "inbound", body).status_code == 403  # another key
    old = int(time.time()) - 600
    assert post(app, signer, "inbound", inbound("STOP", "in-2"), timestamp=old).status_code == 403
    tampered = signer.headers(body)
    response = app.test_client().post("/hooks/providers/telnyx/inbound",
                                      data=body.replace(b"STOP", b"STAR"), headers=tampered)
    assert response.status_code == 403
    assert db.session.scalars(sa.select(ConsentEvent).where(ConsentEvent.action == "opt_out")).all() == []
    assert {e.status for e in db.session.scalars(sa.select(WebhookEvent))} == {"rejected"}


def test_inbound_stop_records_the_opt_out_and_replies_through_telnyx(app, signer, telnyx_api):
    testing.opted_in(PHONE)
    assert post(app, signer, "inbound", inbound("Stop")).status_code == 200
    assert is_suppressed(db.session, current_app.config["SUPPRESSION_KEY"], PHONE)
    [reply] = telnyx_api.sent_to(PHONE)  # Telnyx does not answer STOP for us
    assert "Bloom & Branch" in reply["text"]


def test_inbound_help_gets_the_help_reply(app, signer, telnyx_api):
    testing.opted_in(PHONE)
    assert post(app, signer, "inbound", inbound("HELP")).status_code == 200
    [reply] = telnyx_api.sent_to(PHONE)
    assert "help" in reply["text"].lower()


def test_telnyx_errors_map_to_retry_and_opt_out(app, telnyx_api):
    unavailable = testing.queue_text("+15005550009", key="a")
    assert (unavailable.status, unavailable.error_code) == ("queued", "10007")
    stopped = testing.queue_text("+15005550004", key="b")
    assert (stopped.status, stopped.error_code) == ("failed", "40300")
    assert is_suppressed(db.session, current_app.config["SUPPRESSION_KEY"], "+15005550004")


def test_a_timeout_is_dead_lettered_not_resent_because_telnyx_cannot_be_asked(app, telnyx_api):
    message = testing.queue_text(SLOW)
    assert message.status == "dead" and "not resent automatically" in message.last_error
    assert len(telnyx_api.sent_to(SLOW)) == 1


def test_registration_payload_uses_the_campaign_record(app):
    provider = current_app.extensions["consentdesk"].providers["telnyx"]
    payload = provider.registration_payload({"public_name": "Bloom & Branch"},
                                            {"use_case": "MIXED", "sample_messages": ["a", "b"]})
    assert (payload["usecase"], payload["sample1"], payload["sample2"]) == ("MIXED", "a", "b")



def test_a_429_pauses_the_sender_for_the_rate_limit_reset_without_failing_the_text(app, telnyx_api):
    before = time.time()
    message = testing.queue_text(THROTTLED)
    # Back in the queue, the attempt not counted, due when Telnyx's window resets (7 s).
    assert (message.status, message.attempts, message.error_code) == ("queued", 0, None)
    assert 7 <= message.send_after.timestamp() - before < 9
    sender = db.session.scalars(sa.select(Sender).filter_by(address=SENDER)).one()
    paused_until = current_app.extensions["consentdesk"].pace.state(sender.id).paused_until
    db.session.commit()
    assert paused_until == pytest.approx(message.send_after.timestamp(), abs=0.01)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after": "12"}, 12.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"retry-after": "-3"}, 0.0),
    ({"x-ratelimit-reset": "30"}, 30.0),
    ({"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}, None),  # a date: far, but a number
    ({"retry-after": "soon", "x-ratelimit-reset": "4"}, 4.0),
    ({"retry-after": "nan"}, None),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00"}, None),  # a date without a zone
    ({}, None),
])
def test_how_long_a_429_asks_us_to_wait(headers, seconds):
    import httpx
    from consentdesk_telnyx import _retry_after

    found = _retry_after(httpx.Response(429, headers=headers))
    if "2099" in headers.get("retry-after", ""):
        assert found > 365 * 24 * 3600
    else:
        assert found == seconds
