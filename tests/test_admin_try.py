"""Trying flows from the admin: a test text through the gate, a run for one contact with the
event's fields as a form, a conversion recorded by hand."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core.consent import app_ledger
from core.flows import seeds
from core.models import (
    AuditLog,
    Brand,
    Campaign,
    Contact,
    Conversion,
    Disclosure,
    FlowRun,
    Message,
    MessageType,
    Sender,
)

STAFF = "+14155550177"
CUSTOMER = "+12125550123"


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL="https://sms.bloom.example")


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", support_phone="+14155550100")
    campaign = Campaign(brand=brand, name="Mixed", use_case="MIXED")
    session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    booking = seeds.create(session, "Appointment confirmation", campaign)
    booking.enabled = True
    disclosure = Disclosure(name="Booking form", text="Appointment texts from Bloom & Branch.")
    session.add(disclosure)
    transactional = session.scalars(sa.select(MessageType).filter_by(slug="transactional")).one()
    customer = Contact(phone=CUSTOMER, first_name="Ana")
    staff = Contact(phone=STAFF, first_name="Sam")
    session.add_all([customer, staff])
    session.flush()
    for person in (customer, staff):
        app_ledger(app, session).opt_in(person, transactional, source="web_form",
                                        disclosure=disclosure, actor="booking form",
                                        occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    session.commit()
    return {"booking": booking.id}


def test_a_test_text_goes_through_the_gate_and_is_labelled(client, login, session, world):
    login("marketing")
    page = client.get(f"/admin/try/?flow={world['booking']}").get_data(as_text=True)
    assert "Send a test" in page and "Run for a contact" in page and "Starts at" in page
    response = client.post(f"/admin/try/?flow={world['booking']}", data={
        "do": "test", "test-phone": "(415) 555-0177", "step": "0",
        "event_starts_at": "2026-12-10T15:00:00-05:00", "event_service": "Bridal consult"})
    html = response.get_data(as_text=True)
    assert "Test text is on its way" in html, html
    message = session.scalars(sa.select(Message)).one()
    assert message.is_test and message.phone == STAFF and "Bloom & Branch" in message.body


def test_a_test_to_a_phone_that_never_opted_in_is_blocked_and_says_why(client, login, session,
                                                                        world):
    login("marketing")
    html = client.post(f"/admin/try/?flow={world['booking']}", data={
        "do": "test", "test-phone": "+13125550199", "step": "0",
        "event_starts_at": "2026-12-10T15:00:00-05:00"}).get_data(as_text=True)
    assert "was blocked by the gate" in html and "has not opted in" in html


def test_run_for_a_contact_records_the_event_and_runs_the_flow(client, login, session, world):
    login("admin")
    html = client.post(f"/admin/try/?flow={world['booking']}", data={
        "do": "run", "run-phone": CUSTOMER, "event_appointment_id": "A-17",
        "event_starts_at": "2026-12-20T15:00:00-05:00", "event_service": "Fitting"}
    ).get_data(as_text=True)
    assert "The flow ran for this contact" in html, html
    run = session.scalars(sa.select(FlowRun)).one()
    assert run.event.payload["appointment_id"] == "A-17"
    assert run.event.source == "admin:admin@bloomandbranch.example"
    assert "Bloom & Branch" in session.scalars(sa.select(Message)).one().body


def test_run_for_an_unknown_number_says_so(client, login, world):
    login("admin")
    html = client.post(f"/admin/try/?flow={world['booking']}", data={
        "do": "run", "run-phone": "+13125550111",
        "event_starts_at": "2026-12-20T15:00:00-05:00"}).get_data(as_text=True)
    assert "No contact has the number +13125550111" in html


def test_support_cannot_try_flows_but_records_a_conversion(client, login, session, world):
    login("support")
    assert client.get(f"/admin/try/?flow={world['booking']}").status_code == 403
    response = client.post("/admin/try/conversion", data={
        "phone": CUSTOMER, "kind": "order.created", "value": "42.50",
        "flow": str(world["booking"])})
    assert response.status_code == 302
    conversion = session.scalars(sa.select(Conversion)).one()
    assert (conversion.kind, str(conversion.value), conversion.flow_id) == (
        "order.created", "42.50", world["booking"])
    assert session.scalars(sa.select(AuditLog).where(AuditLog.model == "Conversion")).one()


def test_operations_cannot_record_a_conversion(client, login, world):
    login("operations")
    assert client.get("/admin/try/conversion").status_code == 403


def test_support_sees_the_contact_as_a_story_and_records_a_revocation(client, login, session,
                                                                      world):
    contact = session.scalars(sa.select(Contact).filter_by(phone=CUSTOMER)).one()
    login("support")
    page = client.get(f"/admin/contact/details/?id={contact.id}").get_data(as_text=True)
    assert "Consent now" in page and "opted in" in page and "web form" in page
    assert "Booking form" in page and "Proof of consent" in page
    assert "Record the opt-out" in page and "Run a flow for this contact" not in page
    response = client.post(f"/admin/contact/revoke/{contact.id}", data={
        "channel": "phone", "note": "Called the shop: no more texts please",
        "follow_up": "y"})
    assert response.status_code == 302
    page = client.get(f"/admin/contact/details/?id={contact.id}").get_data(as_text=True)
    assert "opted out" in page and "Suppressed since" in page
    assert "phone: Called the shop" in page and "due " in page


def test_operations_reads_the_contact_page_but_records_nothing(client, login, session, world):
    contact = session.scalars(sa.select(Contact).filter_by(phone=CUSTOMER)).one()
    login("operations")
    page = client.get(f"/admin/contact/details/?id={contact.id}").get_data(as_text=True)
    assert "Consent now" in page and "Record the opt-out" not in page
    assert client.post(f"/admin/contact/revoke/{contact.id}",
                       data={"channel": "phone", "note": "x"}).status_code == 403
