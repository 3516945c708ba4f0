"""The Twilio provider through the real SDK, against a local server answering like Twilio."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from fake_twilio import SLOW, FakeTwilio
from flask import current_app
from twilio.request_validator import RequestValidator

from core import testing
from core.app import create_app
from core.consent.suppression import is_suppressed
from core.db import db
from core.models import ConsentEvent, Message, WebhookEvent
from core.sending import dispatch

SID, TOKEN = "AC" + "1" * 32, "twilio-auth-token"
SENDER, PHONE = "+14155550142", "+12125550123"
PUBLIC = "https://sms.bloom.example"
BODY = testing.BODY


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


def signed_post(client, kind, form, query="", token=TOKEN):
    """POST a form as Twilio does, signed with the SDK's own validator over the public URL."""
    path = f"/hooks/providers/twilio/{kind}" + (f"?{query}" if query else "")
    signature = RequestValidator(token).compute_signature(PUBLIC + path, form)
    db.session.commit()
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_send_goes_through_the_messages_api_with_a_status_callback(app, twilio):
    message = testing.queue_text(PHONE)
    assert message.status == "sent" and message.provider == "twilio"
    [created] = twilio.sent_to(PHONE)
    assert message.provider_message_id == created["sid"]
    assert created["from"] == SENDER and created["body"] == BODY
    assert created["status_callback"] == (
        f"{PUBLIC}/hooks/providers/twilio/status?message={message.id}")


def test_signed_status_callbacks_move_the_message_forward_only(app, twilio):
    message = testing.queue_text(PHONE)
    client = app.test_client()
    query = f"message={message.id}"
    delivered = {"MessageSid": message.provider_message_id, "MessageStatus": "delivered",
                 "AccountSid": SID}
    assert signed_post(client, "status", delivered, query).status_code == 200
    late = {**delivered, "MessageStatus": "sent"}
    assert signed_post(client, "status", late, query).status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "delivered"


def test_a_forged_signature_is_refused(app, twilio):
    message = testing.queue_text(PHONE)
    client = app.test_client()
    form = {"MessageSid": message.provider_message_id, "MessageStatus": "failed"}
    response = signed_post(client, "status", form, f"message={message.id}", token="wrong")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "sent"
    assert db.session.scalars(sa.select(WebhookEvent)).one().status == "rejected"


def test_signature_is_checked_against_the_public_url_behind_a_proxy(app, twilio):
    form = {"MessageSid": "SMx", "From": PHONE, "To": SENDER, "Body": "hello"}
    path = "/hooks/providers/twilio/inbound"
    local = RequestValidator(TOKEN).compute_signature("http://localhost" + path, form)
    client = app.test_client()
    assert client.post(path, data=form, headers={"X-Twilio-Signature": local}).status_code == 403
    assert signed_post(client, "inbound", form).status_code == 200


def test_inbound_stop_without_advanced_opt_out_gets_our_reply_through_twilio(app, twilio):
    testing.opted_in(PHONE)
    response = signed_post(app.test_client(), "inbound",
                           {"MessageSid": "SMin1", "From": PHONE, "To": SENDER, "Body": "STOP"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert is_suppressed(db.session, current_app.config["SUPPRESSION_KEY"], PHONE)
    [reply] = twilio.sent_to(PHONE)
    assert "Bloom & Branch" in reply["body"]


def test_advanced_opt_out_is_honoured_so_there_is_no_double_reply(app, twilio):
    testing.opted_in(PHONE)
    form = {"MessageSid": "SMin2", "From": PHONE, "To": SENDER, "Body": "STOP",
            "OptOutType": "STOP"}
    assert signed_post(app.test_client(), "inbound", form).status_code == 200
    event = db.session.scalars(sa.select(ConsentEvent).where(ConsentEvent.action == "opt_out")).one()
    assert event.source == "keyword"
    assert twilio.sent_to(PHONE) == []
    assert db.session.scalars(sa.select(Message).where(Message.direction == "out")).all() == []


def test_twilio_errors_map_to_retry_failure_and_opt_out(app, twilio):
    unavailable = testing.queue_text("+15005550009", key="a")
    assert (unavailable.status, unavailable.error_code) == ("queued", "20503")
    assert unavailable.send_after is not None
    invalid = testing.queue_text("+15005550001", key="b")
    assert (invalid.status, invalid.error_code) == ("failed", "21211")
    unsubscribed = testing.queue_text("+15005550004", key="c")
    assert (unsubscribed.status, unsubscribed.error_code) == ("failed", "21610")
    assert is_suppressed(db.session, current_app.config["SUPPRESSION_KEY"], "+15005550004")


def test_a_429_slows_the_sender_down_and_the_text_waits_uncounted(app, twilio):
    before = datetime.now(UTC)
    throttled = testing.queue_text("+15005550029", key="d")
    assert (throttled.status, throttled.attempts, throttled.error_code) == ("queued", 0, None)
    # Twilio's 429 carries no Retry-After through the SDK: the sender pauses a second.
    wait = throttled.send_after.replace(tzinfo=UTC) - before
    assert timedelta(seconds=dispatch.DEFAULT_THROTTLE) <= wait < timedelta(seconds=3)


def test_a_read_timeout_is_reconciled_with_twilio_not_resent(app, twilio):
    message = testing.queue_text(SLOW)
    assert (message.status, message.error_code) == ("queued", "uncertain")
    assert len(twilio.sent_to(SLOW)) == 1  # Twilio has it although we timed out
    message_id, retry_at = message.id, message.send_after
    dispatch.dispatch(current_app, [message_id], now=retry_at)
    message = db.session.get(Message, message_id)
    assert message.status == "sent"
    assert message.provider_message_id == twilio.sent_to(SLOW)[0]["sid"]
    assert len(twilio.sent_to(SLOW)) == 1


def test_crash_after_twilio_accepted_is_found_by_listing_messages(app, twilio):
    message = testing.queue_text(PHONE)
    db.session.execute(sa.update(Message).where(Message.id == message.id)
                       .values(status="sending", provider_message_id=None))
    db.session.commit()
    tally = dispatch.recover(current_app, now=datetime.now(UTC) + timedelta(hours=1))
    assert tally == {"found": 1}
    assert testing.reload(message.id).provider_message_id == twilio.sent_to(PHONE)[0]["sid"]
    assert len(twilio.sent_to(PHONE)) == 1


def test_registration_payload_uses_the_campaign_record(app):
    provider = current_app.extensions["consentdesk"].providers["twilio"]
    payload = provider.registration_payload(
        {"public_name": "Bloom & Branch"},
        {"description": "Order updates", "use_case": "MIXED", "sample_messages": ["a", "b"],
         "message_flow": "Checkout checkbox", "opt_out_keywords": ["STOP"]})
    assert payload["UsAppToPersonUsecase"] == "MIXED" and payload["MessageSamples"] == ["a", "b"]


def test_registration_payload_carries_the_brand_profile(app):
    provider = current_app.extensions["consentdesk"].providers["twilio"]
    payload = provider.registration_payload(
        {"public_name": "Bloom & Branch", "legal_name": "Bloom & Branch Florists LLC",
         "tax_id": "12-3456789", "website": "https://bloomandbranch.example",
         "authorized_contact": "Maya Lin, Owner", "support_email": "help@bloomandbranch.example",
         "support_phone": "+14155550100", "address": "500 Market St, San Francisco, CA 94105"},
        {"sample_messages": ["Bloom & Branch: call (415) 555-0100. Reply STOP to opt out."]})
    profile = payload["CustomerProfile"]
    assert profile["customer_profile_business_information"]["business_registration_number"] \
        == "12-3456789"
    assert profile["authorized_representative_1"] == {
        "first_name": "Maya", "last_name": "Lin", "business_title": "Owner",
        "email": "help@bloomandbranch.example", "phone_number": "+14155550100"}
    assert profile["address"] == {"customer_name": "Bloom & Branch Florists LLC",
                                  "iso_country": "US", "street": "500 Market St",
                                  "city": "San Francisco", "region": "CA",
                                  "postal_code": "94105"}
    assert payload["HasEmbeddedPhone"] is True and payload["HasEmbeddedLinks"] is False


def test_without_credentials_the_provider_is_not_offered(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "PLUGINS": "twilio",
                      "QUEUE_URL": "memory"})
    assert "twilio" not in app.extensions["consentdesk"].providers
    query = urlencode({"x": 1})
    assert app.test_client().post(f"/hooks/providers/twilio/inbound?{query}").status_code == 404
