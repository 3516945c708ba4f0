"""Twilio's webhooks as Twilio signs them: its published vectors, then every route against
genuine, forged, wrong-key, replayed, repeated-key, body-hash and malformed requests, and the
error codes its status callbacks carry."""

import hashlib
import json
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from fake_twilio import FakeTwilio
from flask import current_app
from twilio.request_validator import RequestValidator

from core import testing
from core.consent import proof
from core.consent.suppression import is_suppressed
from core.db import db
from core.gate.check import Outgoing, gate_for
from core.models import ConsentEvent, Contact, Message, MessageType, WebhookEvent
from core.sending.webhooks import build_request
from hooks.providers import UNDELIVERABLE

SID, TOKEN = "AC" + "1" * 32, "twilio-auth-token"
SENDER, PHONE = "+14155550142", "+12125550123"
PUBLIC = "https://sms.bloom.example"

# Twilio's own published example (its security documentation and its SDK's test suite).
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"),
              ("To", "+18005551212"), ("Caller", "+14158675309")]
DOC_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
DOC_REPEATED = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
DOC_REPEATED_SIGNATURE = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
DOC_BODY = '{"property": "value", "boolean": true}'
DOC_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
DOC_BODY_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="


@pytest.fixture
def twilio():
    with FakeTwilio(SID, TOKEN) as server:
        yield server


@pytest.fixture
def app(tmp_path, twilio):
    app = testing.make_app(tmp_path, "twilio", PUBLIC_URL=PUBLIC, TWILIO_ACCOUNT_SID=SID,
                           TWILIO_AUTH_TOKEN=TOKEN, TWILIO_API_BASE=twilio.url,
                           TWILIO_TIMEOUT="1")
    with app.app_context():
        testing.add_sender(SENDER, "twilio")
        yield app


def provider(token=TOKEN):
    from consentdesk_twilio import TwilioProvider

    return TwilioProvider(SID, token)


def doc_request(url, items=(), body=b"", mimetype="application/x-www-form-urlencoded",
                signature=DOC_SIGNATURE):
    if items and not body:
        body = urlencode(list(items)).encode()
    return build_request("inbound", url, "POST", {"X-Twilio-Signature": signature}, body,
                         mimetype)


# Twilio's published vectors, through the provider's own verify.

def test_twilios_documented_example_verifies():
    assert provider(DOC_TOKEN).verify(doc_request(DOC_URL, DOC_PARAMS))


def test_any_change_to_the_documented_example_is_refused():
    changed = [(k, v + "0" if k == "Digits" else v) for k, v in DOC_PARAMS]
    assert not provider(DOC_TOKEN).verify(doc_request(DOC_URL, changed))
    assert not provider(DOC_TOKEN).verify(doc_request(DOC_URL + "&baz=3", DOC_PARAMS))
    assert not provider("54321").verify(doc_request(DOC_URL, DOC_PARAMS))


def test_a_repeated_key_is_signed_with_every_value():
    request = doc_request(DOC_URL, DOC_REPEATED, signature=DOC_REPEATED_SIGNATURE)
    assert provider(DOC_TOKEN).verify(request)
    one_value = [pair for pair in DOC_REPEATED if pair != ("Digits", "1234")]
    assert not provider(DOC_TOKEN).verify(
        doc_request(DOC_URL, one_value, signature=DOC_REPEATED_SIGNATURE))
    other = [("Digits", "9999") if pair == ("Digits", "1234") else pair for pair in DOC_REPEATED]
    assert not provider(DOC_TOKEN).verify(doc_request(DOC_URL, other,
                                                      signature=DOC_REPEATED_SIGNATURE))


def test_a_json_body_must_hash_to_the_signed_body_sha256():
    url = f"{DOC_URL}&bodySHA256={DOC_BODY_HASH}"
    genuine = doc_request(url, body=DOC_BODY.encode(), mimetype="application/json",
                          signature=DOC_BODY_SIGNATURE)
    assert provider(DOC_TOKEN).verify(genuine)
    tampered = doc_request(url, body=DOC_BODY.replace("value", "other").encode(),
                           mimetype="application/json", signature=DOC_BODY_SIGNATURE)
    assert not provider(DOC_TOKEN).verify(tampered)


def test_a_json_body_without_body_sha256_is_refused_however_the_url_is_signed():
    signature = RequestValidator(DOC_TOKEN).compute_signature(DOC_URL, {})
    request = doc_request(DOC_URL, body=DOC_BODY.encode(), mimetype="application/json",
                          signature=signature)
    assert not provider(DOC_TOKEN).verify(request)


# Every route, through the running app.

def post(client, kind, items, query="", token=TOKEN, signature=None, headers=None):
    path = f"/hooks/providers/twilio/{kind}" + (f"?{query}" if query else "")
    if signature is None:
        params = {}
        for key, value in items:
            params.setdefault(key, []).append(value)
        signature = RequestValidator(token).compute_signature(PUBLIC + path,
                                                              _Multi(params))
    db.session.commit()
    return client.post(path, data=urlencode(list(items)),
                       headers={"X-Twilio-Signature": signature,
                                "Content-Type": "application/x-www-form-urlencoded",
                                **(headers or {})})


class _Multi(dict):
    def getlist(self, key):
        return self[key]


def inbound_form(body="hello", sid="SMin1", **extra):
    return [("MessageSid", sid), ("AccountSid", SID), ("From", PHONE), ("To", SENDER),
            ("Body", body), *extra.items()]


def stored():
    db.session.expire_all()
    return db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()


def opt_outs():
    return db.session.scalars(sa.select(ConsentEvent).where(
        ConsentEvent.action == "opt_out")).all()


@pytest.mark.parametrize("kind", ["inbound", "status"])
def test_a_forged_or_wrongly_keyed_request_is_refused_and_processes_nothing(app, kind):
    client = app.test_client()
    form = inbound_form("STOP") if kind == "inbound" else [
        ("MessageSid", "SMx"), ("MessageStatus", "failed"), ("ErrorCode", "21610")]
    assert post(client, kind, form, token="not-the-token").status_code == 403
    assert post(client, kind, form, signature="forged=").status_code == 403
    assert post(client, kind, form, signature="").status_code == 403
    assert opt_outs() == []
    assert {row.status for row in stored()} == {"rejected"}


def test_a_genuine_inbound_with_a_repeated_key_is_accepted(app):
    form = [*inbound_form("STOP"), ("MediaUrl", "https://a.example/1"),
            ("MediaUrl", "https://a.example/2")]
    assert post(app.test_client(), "inbound", form).status_code == 200
    assert len(opt_outs()) == 1


def test_a_genuine_request_whose_query_repeats_a_key_is_accepted(app):
    form = inbound_form("STOP")
    assert post(app.test_client(), "inbound", form, query="tag=a&tag=b").status_code == 200
    assert len(opt_outs()) == 1


def test_changing_one_value_of_a_repeated_key_is_refused(app):
    client = app.test_client()
    form = [*inbound_form("hello"), ("MediaUrl", "https://a.example/1"),
            ("MediaUrl", "https://a.example/2")]
    path = "/hooks/providers/twilio/inbound"
    params = {}
    for key, value in form:
        params.setdefault(key, []).append(value)
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, _Multi(params))
    changed = [*form[:-1], ("MediaUrl", "https://evil.example/2")]
    assert post(client, "inbound", changed, signature=signature).status_code == 403


def json_post(client, kind, payload, token=TOKEN, tamper=None):
    body = json.dumps(payload)
    digest = hashlib.sha256(body.encode()).hexdigest()
    path = f"/hooks/providers/twilio/{kind}?bodySHA256={digest}"
    signature = RequestValidator(token).compute_signature(PUBLIC + path, {})
    db.session.commit()
    sent = tamper(body) if tamper else body
    return client.post(path, data=sent, headers={"X-Twilio-Signature": signature,
                                                 "Content-Type": "application/json"})


@pytest.mark.parametrize("kind", ["inbound", "status"])
def test_a_json_body_that_does_not_match_its_hash_is_refused_on_every_route(app, kind):
    message = testing.queue_text(PHONE)
    client = app.test_client()
    payload = ({"MessageSid": "SMj1", "From": PHONE, "To": SENDER, "Body": "hello"}
               if kind == "inbound" else
               {"MessageSid": message.provider_message_id, "MessageStatus": "delivered"})
    swapped = (lambda b: b.replace("hello", "STOP")) if kind == "inbound" else (
        lambda b: b.replace("delivered", "failed"))
    response = json_post(client, kind, payload, tamper=swapped)
    assert response.status_code == 403
    assert opt_outs() == []
    assert testing.reload(message.id).status == "sent"
    assert json_post(client, kind, payload).status_code == 200


@pytest.mark.parametrize(("form", "reason"), [
    ([("MessageSid", "SM1"), ("To", SENDER), ("Body", "STOP")], "no From"),
    ([("MessageSid", "SM1"), ("From", PHONE), ("To", SENDER)], "no Body"),
    ([], "an empty request"),
])
def test_a_signed_inbound_missing_a_field_is_400_with_the_reason_and_kept(app, form, reason):
    response = post(app.test_client(), "inbound", form)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    [row] = stored()
    assert row.status == "malformed" and reason in row.error
    assert opt_outs() == []


def test_an_unknown_message_status_is_400(app):
    message = testing.queue_text(PHONE)
    form = [("MessageSid", message.provider_message_id), ("MessageStatus", "bogus")]
    response = post(app.test_client(), "status", form, query=f"message={message.id}")
    assert response.status_code == 400 and "unknown MessageStatus 'bogus'" in response.get_data(
        as_text=True)
    assert testing.reload(message.id).status == "sent"


def test_a_status_that_moves_nothing_forward_is_acknowledged(app):
    message = testing.queue_text(PHONE)
    form = [("MessageSid", message.provider_message_id), ("MessageStatus", "queued")]
    assert post(app.test_client(), "status", form).status_code == 200
    assert testing.reload(message.id).status == "sent"


def test_a_replayed_inbound_stop_is_processed_once(app, twilio):
    testing.opted_in(PHONE)
    client = app.test_client()
    form = inbound_form("Please stop texting me")
    assert post(client, "inbound", form).status_code == 200
    assert post(client, "inbound", form).status_code == 200
    assert len(opt_outs()) == 1
    assert len(twilio.sent_to(PHONE)) == 1  # one confirmation


# Error codes on status callbacks.

def callback(client, message, status, code):
    form = [("MessageSid", message.provider_message_id), ("MessageStatus", status),
            ("ErrorCode", code), ("AccountSid", SID)]
    return post(client, "status", form, query=f"message={message.id}")


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_status_callback_with_21610_records_the_opt_out_once(app, status):
    testing.opted_in(PHONE)
    message = testing.queue_text(PHONE)
    client = app.test_client()
    for _ in range(3):  # Twilio may repeat a callback
        assert callback(client, message, status, "21610").status_code == 200
    [event] = opt_outs()
    assert (event.source, event.message_type_id) == ("provider", None)
    assert event.provider_message_id == message.provider_message_id
    assert "status callback" in event.source_detail and "21610" in event.source_detail
    key = current_app.config["SUPPRESSION_KEY"]
    assert is_suppressed(db.session, key, PHONE)
    document = proof.build(db.session, PHONE, key)
    shown = [e for e in document["events"] if e["action"] == "opt_out"]
    assert shown and shown[-1]["source"] == "provider"
    assert document["suppressed"] is True


@pytest.mark.parametrize("code", ["30003", "30005", "30006"])
def test_an_unreachable_number_is_held_until_a_later_delivery(app, code):
    contact = testing.opted_in(PHONE)
    first = testing.queue_text(PHONE, key="first")
    client = app.test_client()
    assert callback(client, first, "undelivered", code).status_code == 200
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.undeliverable_code == f"twilio {code}"
    assert provider().error_outcomes[code] == UNDELIVERABLE
    transactional = db.session.scalars(
        sa.select(MessageType).filter_by(slug="transactional")).one()
    decision = gate_for(current_app).check(db.session, Outgoing(
        contact=contact, message_type=transactional, body="Bloom & Branch: hi. Reply STOP",
        sender=None, brand=None), first.created_at)
    assert decision.outcome == "block"
    blocked = testing.queue_text(PHONE, key="second")
    assert blocked.status == "blocked" and "undeliverable" in str(blocked.block_reasons)
    assert opt_outs() == []  # unreachable is not an opt-out


def test_a_delivery_receipt_clears_an_unreachable_mark(app):
    contact = testing.opted_in(PHONE)
    first = testing.queue_text(PHONE, key="first")
    client = app.test_client()
    callback(client, first, "undelivered", "30003")
    form = [("MessageSid", first.provider_message_id), ("MessageStatus", "delivered")]
    post(client, "status", form)  # a late receipt cannot move "undelivered" back
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).undeliverable_at is not None
    db.session.execute(sa.update(Contact).where(Contact.id == contact.id)
                       .values(undeliverable_at=None, undeliverable_code=None))
    db.session.commit()
    second = testing.queue_text(PHONE, key="second")
    db.session.execute(sa.update(Contact).where(Contact.id == contact.id)
                       .values(undeliverable_at=first.created_at, undeliverable_code="x"))
    db.session.commit()
    delivered = [("MessageSid", second.provider_message_id), ("MessageStatus", "delivered")]
    assert post(client, "status", delivered, query=f"message={second.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).undeliverable_at is None


def test_a_send_refused_as_not_a_mobile_number_marks_it_undeliverable(app, twilio):
    contact = testing.opted_in("+15005550001")
    message = testing.queue_text("+15005550001")
    assert (message.status, message.error_code) == ("failed", "21211")
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).undeliverable_at is None  # 21211 not declared
    assert provider().error_outcomes.get("21211") is None


def test_a_stored_request_keeps_every_repeated_value_for_a_later_retry(app):
    form = [*inbound_form("hello"), ("MediaUrl", "a"), ("MediaUrl", "b")]
    post(app.test_client(), "inbound", form)
    [row] = stored()
    assert row.body.count("MediaUrl=") == 2 and row.body_size == len(urlencode(form))
    assert row.status == "processed"
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
