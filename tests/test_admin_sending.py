"""The admin's sending pages: phone simulator, dead-letter retry, segment counts, branding."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fakes import Reseller

from core.consent.suppression import is_suppressed
from core.models import Brand, Campaign, Contact, Message, MessageType, Sender

PHONE, SENDER = "+12125550123", "+14155550142"


@pytest.fixture
def app(make_app):
    return make_app(QUEUE_URL="immediate")


@pytest.fixture
def world(session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
    campaign = Campaign(brand=brand, name="Orders", use_case="MIXED")
    session.add_all([brand, campaign, Sender(address=SENDER, campaign=campaign),
                     Contact(phone=PHONE)])
    session.commit()


def test_phone_simulator_replies_as_the_contact_through_the_keyword_engine(
        app, client, login, session, world):
    login("operations")
    response = client.post("/admin/phone/", data={"phone": "(212) 555-0123", "body": "STOP"})
    assert response.status_code == 302
    assert is_suppressed(session, app.config["SUPPRESSION_KEY"], PHONE)
    page = client.get(f"/admin/phone/?phone={PHONE}").get_data(as_text=True)
    assert "STOP" in page and "sent by the contact" in page
    assert "unsubscribed" in page.lower()  # the confirmation, delivered by the sandbox
    messages = session.scalars(sa.select(Message).order_by(Message.id)).all()
    assert [(m.direction, m.status) for m in messages] == [("in", "received"), ("out", "delivered")]


def test_phone_simulator_rejects_a_malformed_number_without_writing(client, login, session, world):
    login("operations")
    response = client.post("/admin/phone/", data={"phone": "12", "body": "STOP"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert session.scalars(sa.select(Message)).all() == []


def test_phone_simulator_is_not_for_support(client, login):
    login("support")
    assert client.get("/admin/phone/").status_code == 403


def dead_letter(session):
    contact = session.scalars(sa.select(Contact)).one()
    support = session.scalars(sa.select(MessageType).filter_by(slug="support")).one()
    message = Message(direction="out", contact_id=contact.id, phone=PHONE, body="Hi. Reply STOP to opt out.",
                      status="dead", sender_id=session.scalars(sa.select(Sender)).one().id,
                      message_type_id=support.id, idempotency_key="dead-1", attempts=6,
                      compliance_reply=True, created_at=datetime.now(UTC),
                      last_error="TemporaryFailure: 503")
    session.add(message)
    session.commit()
    return message.id


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("operations", True),
                                               ("marketing", False), ("support", False)])
def test_dead_letters_can_be_retried_by_admin_and_operations(
        client, login, session, world, role, allowed):
    message_id = dead_letter(session)
    login(role)
    response = client.post("/admin/message/action/", data={"action": "retry", "rowid": str(message_id)})
    assert response.status_code == (302 if allowed else 403)
    session.expire_all()
    message = session.get(Message, message_id)
    # Retried: the queue ran it at once through the gate and the sandbox.
    assert (message.status, message.attempts) == (("delivered", 1) if allowed else ("dead", 6))


def test_segment_counts_for_body_editors(client, login):
    login("marketing")
    gsm = client.get("/admin/api/segments", query_string={"text": "a" * 161}).get_json()
    assert gsm == {"encoding": "GSM-7", "characters": 161, "segments": 2}
    ucs = client.get("/admin/api/segments", query_string={"text": "Thanks 😊"}).get_json()
    assert ucs["encoding"] == "UCS-2" and ucs["segments"] == 1


def test_segment_counts_need_a_login(client):
    assert client.get("/admin/api/segments?text=hi").status_code in (302, 401)


def test_a_resellers_branding_shows_in_the_admin(make_app, tmp_path):
    from core.security import create_user
    from tests.conftest import PASSWORD

    app = make_app(EXTRA_PLUGINS=[Reseller()])
    with app.app_context():
        create_user(app, "admin@textright.example", PASSWORD, ["admin"])
    client = app.test_client()
    client.post("/login", data={"email": "admin@textright.example", "password": PASSWORD})
    page = client.get("/admin/").get_data(as_text=True)
    assert "TextRight" in page and "/static/textright.svg" in page and "#223344" in page


def test_sender_form_offers_installed_providers_and_takes_throughput_limits(
        client, login, session):
    login("operations")
    form = client.get("/admin/sender/new/").get_data(as_text=True)
    assert 'value="sandbox"' in form and "resets at midnight US/Pacific" in form
    refused = client.post("/admin/sender/new/", data={
        "address": "+14155550143", "kind": "long_code", "provider": "nonesuch"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    bad_limit = client.post("/admin/sender/new/", data={
        "address": "+14155550143", "kind": "long_code", "provider": "sandbox", "per_second": "0"})
    assert "Number must be at least 1" in bad_limit.get_data(as_text=True)
    saved = client.post("/admin/sender/new/", data={
        "address": "+14155550143", "kind": "long_code", "provider": "sandbox",
        "per_second": "1", "daily_cap": "2000"})
    assert saved.status_code == 302
    sender = session.scalars(sa.select(Sender).filter_by(address="+14155550143")).one()
    assert (sender.per_second, sender.per_minute, sender.daily_cap) == (1, None, 2000)
