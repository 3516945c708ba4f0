"""Telnyx webhooks as Telnyx signs them (Ed25519 over ``timestamp|body``), on both routes:
a pinned vector, genuine, forged, wrong key, stale and future timestamps, replays, malformed
and empty bodies, and the error codes a ``message.finalized`` carries."""

import json
import time

import pytest
import sqlalchemy as sa
from fake_telnyx import FakeTelnyx, Signer, event
from flask import current_app

from core import testing
from core.consent.suppression import is_suppressed
from core.db import db
from core.models import ConsentEvent, Contact, WebhookEvent
from core.sending.webhooks import build_request

API_KEY = "KEY0123456789"
SENDER, PHONE = "+14155550142", "+12125550123"
PUBLIC = "https://sms.bloom.example"

# Telnyx publishes no fixed signature; this vector signs its documented message.received shape
# with the key pair of RFC 8032's first Ed25519 test vector, exactly as Telnyx signs: the
# timestamp, a "|", then the raw body. Ed25519 is deterministic, so the signature is fixed.
RFC8032_PUBLIC_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
VECTOR_TIMESTAMP = 1700000000
VECTOR_BODY = (
    '{"data":{"event_type":"message.received","id":"b301ed3f-1490-491f-995f-6e64e69674d4","occurred_at":"2023-11-14T22:13:20.000+00:00","payload":{"direction":"inbound","encoding":"GSM-7","from":{"carrier":"T-Mobile USA","line_type":"Wireless","phone_number":"+12125550123"},"id":"84cca175-9755-4859-b67f-4730d7f58aa3","messaging_profile_id":"740572b6-099c-44a1-89b9-6c92163bc68d","parts":1,"received_at":"2023-11-14T22:13:20.000+00:00","record_type":"message","text":"STOP","to":[{"carrier":"Telnyx","line_type":"Wireless","phone_number":"+14155550142","status":"webhook_delivered"}],"type":"SMS"},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://sms.bloom.example/hooks/providers/telnyx/inbound"}}')
VECTOR_SIGNATURE = "bIxA3M32X7j7A1SYveDQ++rAZa4N0Fru6pfENQVituqMrIMrvDSZfHaUemsE/5ERINt2uiwMqQIX55ncOEJYDg=="


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


def vector_request(body=VECTOR_BODY, signature=VECTOR_SIGNATURE, timestamp=VECTOR_TIMESTAMP):
    headers = {"telnyx-signature-ed25519": signature, "telnyx-timestamp": str(timestamp),
               "Content-Type": "application/json"}
    return build_request("inbound", f"{PUBLIC}/hooks/providers/telnyx/inbound", "POST", headers,
                         body.encode(), "application/json")


def provider(public_key=RFC8032_PUBLIC_KEY):
    from consentdesk_telnyx import TelnyxProvider

    return TelnyxProvider(API_KEY, public_key)


@pytest.fixture
def at_vector_time(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: VECTOR_TIMESTAMP + 30)


def test_the_pinned_vector_verifies(at_vector_time):
    assert provider().verify(vector_request())


def test_any_change_to_the_pinned_vector_is_refused(at_vector_time):
    assert not provider().verify(vector_request(body=VECTOR_BODY.replace("STOP", "STAR")))
    assert not provider().verify(vector_request(timestamp=VECTOR_TIMESTAMP + 1))
    assert not provider(Signer().public_key).verify(vector_request())
    assert not provider().verify(vector_request(signature=""))


def test_the_pinned_vector_is_refused_outside_five_minutes(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: VECTOR_TIMESTAMP + 301)
    assert not provider().verify(vector_request())
    monkeypatch.setattr(time, "time", lambda: VECTOR_TIMESTAMP - 301)  # from the future
    assert not provider().verify(vector_request())


def post(app, signer, kind, body, query="", headers=None, **sign):
    db.session.commit()
    path = f"/hooks/providers/telnyx/{kind}" + (f"?{query}" if query else "")
    return app.test_client().post(path, data=body,
                                  headers=headers or signer.headers(body, **sign))


def opt_outs():
    db.session.expire_all()
    return db.session.scalars(sa.select(ConsentEvent).where(
        ConsentEvent.action == "opt_out")).all()


def stop(message_id="in-1"):
    return event("message.received", {
        "id": message_id, "direction": "inbound", "text": "Please stop texting me",
        "type": "SMS", "from": {"phone_number": PHONE},
        "to": [{"phone_number": SENDER, "status": "webhook_delivered"}]})


def finalized(message, status, code):
    return event("message.finalized", {
        "id": message.provider_message_id, "direction": "outbound", "text": message.body,
        "from": {"phone_number": SENDER}, "to": [{"phone_number": PHONE, "status": status}],
        "errors": [{"code": code, "title": "error", "detail": "error"}]})


@pytest.mark.parametrize("kind", ["inbound", "status"])
@pytest.mark.parametrize("how", ["other key", "stale", "future", "tampered", "unsigned"])
def test_a_request_that_does_not_verify_processes_nothing(app, signer, kind, how):
    testing.opted_in(PHONE)
    body = stop()
    if how == "other key":
        headers = Signer().headers(body)
    elif how in ("stale", "future"):
        headers = signer.headers(body, timestamp=int(time.time()) + (-600 if how == "stale"
                                                                     else 600))
    elif how == "tampered":
        headers, body = signer.headers(body), body.replace(b"stop", b"stay")
    else:
        headers = {"Content-Type": "application/json"}
    assert post(app, signer, kind, body, headers=headers).status_code == 403
    assert opt_outs() == []
    [row] = db.session.scalars(sa.select(WebhookEvent)).all()
    assert row.status == "rejected" and row.body_size == len(body)


def test_a_replayed_stop_is_processed_once(app, signer, telnyx_api):
    testing.opted_in(PHONE)
    body = stop()
    headers = signer.headers(body)
    assert post(app, signer, "inbound", body, headers=headers).status_code == 200
    assert post(app, signer, "inbound", body, headers=headers).status_code == 200
    assert len(opt_outs()) == 1
    assert len(telnyx_api.sent_to(PHONE)) == 1


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "not JSON"), (b"[1, 2]", "no data object"), (b'{"data": {}}', "no event_type"),
    (b'{"data": {"event_type": "message.received"}}', "without a payload"),
    (json.dumps({"data": {"event_type": "message.received", "payload": {"text": "STOP"}}})
     .encode(), "without from, to or id"),
])
def test_a_signed_malformed_inbound_is_400_with_the_reason(app, signer, body, reason):
    response = post(app, signer, "inbound", body)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(WebhookEvent)).one().status == "malformed"


def test_a_finalized_message_blocked_by_a_stop_records_the_opt_out_once(app, signer):
    testing.opted_in(PHONE)
    message = testing.queue_text(PHONE)
    for _ in range(2):
        body = finalized(message, "delivery_failed", "40300")
        assert post(app, signer, "status", body, f"message={message.id}").status_code == 200
    [event_row] = opt_outs()
    assert event_row.source == "provider" and "40300" in event_row.source_detail
    assert is_suppressed(db.session, current_app.config["SUPPRESSION_KEY"], PHONE)


def test_a_number_that_is_not_routable_is_marked_undeliverable(app, signer):
    contact = testing.opted_in(PHONE)
    message = testing.queue_text(PHONE)
    body = finalized(message, "delivery_failed", "40001")
    assert post(app, signer, "status", body, f"message={message.id}").status_code == 200
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.undeliverable_code == "telnyx 40001" and opt_outs() == []
    again = testing.queue_text(PHONE, key="again")
    assert again.status == "blocked"
