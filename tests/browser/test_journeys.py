"""The journeys of the people the panel is for, walked in a real browser on the demo data:
a marketer sending a promotion, a marketer trying flows, a support agent answering a
question about consent. Each checks what the person sees, and keeps screenshots."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.helpers import serve, sign_in

DEMO_PASSWORD = "consentdesk-demo"
MARKETING = "marketing@bloomandbranch.example"
SUPPORT = "support@bloomandbranch.example"


@pytest.fixture
def demo(make_app):
    """The demo (a florist with 60 customers, its flows, staff logins and the owner's test
    phone) on a live server; texts go out through the sandbox as soon as they are queued."""
    from core import demo as demo_data

    app = make_app(WTF_CSRF_ENABLED=True, QUEUE_URL="immediate")
    with app.app_context():
        assert demo_data.load(app, contacts=60)
    base, server = serve(app)
    yield app, base
    server.shutdown()


def _flow_id(app, name: str) -> int:
    from core.db import db
    from core.models import Flow

    with app.app_context():
        return db.session.scalar(sa.select(Flow.id).where(Flow.name == name))


def test_a_marketer_schedules_a_promotion_sees_who_it_reaches_and_confirms_the_number(
        demo, page, snap):
    app, base = demo
    sign_in(page, base, MARKETING, DEMO_PASSWORD, "/admin/send/")
    page.select_option("select[name=flow]", label="Promotional campaign")
    page.check("input[name=when][value=now]")
    snap(page, "send-1-choose")
    page.click("text=See who it reaches")

    expect(page.locator("h1")).to_contain_text("Promotional campaign: who it reaches")
    will_send = int(page.inner_text("#will-send").replace(",", ""))
    assert 0 < will_send < 61  # opted-out and never-opted-in customers are left out
    left_out = page.inner_text("text=Left out, and why >> xpath=following-sibling::table[1]")
    assert re.search(r"(?i)no consent|opted out|suppressed|stopped", left_out), left_out
    samples = page.locator(".sample-text")
    assert samples.count() == 5
    first = samples.first.inner_text()
    assert first.startswith("Bloom & Branch:") and "https://go.bloomandbranch.example/l/" in first
    assert "[" not in first  # every placeholder filled in
    button = page.locator("#confirm-send")
    expect(button).to_have_text(re.compile(rf"Send to {will_send:,} (people|person)"))
    snap(page, "send-2-preview")

    button.click()
    expect(page.locator(".alert-success")).to_contain_text(f"{will_send:,} people")
    expect(page.locator("body")).to_contain_text(f"Confirmed for {will_send:,} people by {MARKETING}")
    snap(page, "send-3-status")

    page.goto(f"{base}/admin/")  # the home page counts the send's texts
    expect(page.locator("#subscribers")).to_contain_text("Subscribed to marketing")
    snap(page, "dashboard")


def test_a_form_triggered_flow_cannot_be_scheduled_and_the_page_says_why(demo, page, snap):
    app, base = demo
    sign_in(page, base, MARKETING, DEMO_PASSWORD, "/admin/send/")
    options = page.locator("select[name=flow] option").all_inner_texts()
    assert "Promotional campaign" in options
    assert "Website lead welcome" not in options and "Appointment confirmation" not in options
    others = page.inner_text("text=Flows that cannot be sent to an audience >> xpath=..")
    assert "Website lead welcome — starts on form.submitted" in others
    assert "start for one person when something happens to them" in others
    snap(page, "send-refused-form-flow")

    # Asking for it by address does not get around the list.
    lead = _flow_id(app, "Website lead welcome")
    page.goto(f"{base}/admin/send/?flow={lead}")
    refused = page.locator("#refused")
    expect(refused).to_contain_text("“Website lead welcome” cannot be sent to an audience")
    expect(refused).to_contain_text("starts on form.submitted")
    assert "Website lead welcome" not in page.locator("select[name=flow]").inner_text()
    snap(page, "send-refused-by-address")
    # And the old scheduled-send form is gone: no way to create one without the preview.
    page.goto(f"{base}/admin/scheduledsend/new/")
    assert "who it reaches" not in page.content()
    assert page.locator("select[name=flow]").count() == 0


def test_a_marketer_sends_a_test_to_their_own_phone(demo, page, snap):
    app, base = demo
    welcome = _flow_id(app, "Website lead welcome")
    sign_in(page, base, MARKETING, DEMO_PASSWORD, f"/admin/try/?flow={welcome}")
    expect(page.locator("input[name='test-phone']")).to_have_value("+14155550123")
    page.click("#send-test")
    result = page.locator("#try-result")
    expect(result).to_contain_text("Test text")
    expect(result).to_contain_text("+14155550123")
    text = result.inner_text()
    assert "Bloom & Branch: thanks for reaching out!" in text and "blocked" not in text
    snap(page, "try-send-a-test")

    # The message log labels it a test.
    page.goto(f"{base}/admin/message/?search=%2B14155550123")
    row = page.locator("table.model-list tbody tr").first
    expect(row).to_contain_text("thanks for reaching out")
    expect(row).to_contain_text(re.compile("test", re.I))


def test_a_marketer_runs_the_booking_flow_for_a_contact_from_the_contact_page(
        demo, page, snap):
    from core import demo as demo_data
    from core.db import db
    from core.models import Consent, Contact, MessageType

    app, base = demo
    with app.app_context():
        contact = db.session.scalars(
            sa.select(Contact).join(Consent).join(MessageType)
            .where(MessageType.slug == "transactional", Consent.state == "opted_in",
                   Contact.phone != demo_data.STAFF_PHONE)
            .order_by(Contact.id)).first()
        contact_id, phone, name = contact.id, contact.phone, contact.first_name
    sign_in(page, base, MARKETING, DEMO_PASSWORD, f"/admin/contact/details/?id={contact_id}")
    page.click("text=Run a flow for this contact")
    page.click("text=Appointment confirmation")
    expect(page.locator("input[name='run-phone']")).to_have_value(phone)
    page.fill("input[name=event_starts_at]", "2030-06-14T15:30:00-04:00")
    snap(page, "try-run-for-a-contact-1")
    page.click("#run-flow")
    result = page.locator("#try-result")
    expect(result).to_contain_text("The flow ran for this contact")
    expect(result).to_contain_text("Appointment confirmation")
    expect(result).to_contain_text("waiting")  # for the reminder, the day before
    snap(page, "try-run-for-a-contact-2")

    page.goto(f"{base}/admin/contact/details/?id={contact_id}")
    expect(page.locator("body")).to_contain_text("your appointment is booked for")
    assert name in page.inner_text("h1")


def test_support_opens_a_contact_and_its_proof_of_consent(demo, page, snap):
    from core import demo as demo_data
    from core.db import db
    from core.models import Consent, Contact, MessageType

    app, base = demo
    with app.app_context():
        contact = db.session.scalars(
            sa.select(Contact).join(Consent).join(MessageType)
            .where(MessageType.slug == "marketing", Consent.state == "opted_in",
                   Contact.phone != demo_data.STAFF_PHONE)
            .order_by(Contact.id)).first()
        phone = contact.phone
    page.set_viewport_size({"width": 390, "height": 844})  # support answers on a phone
    sign_in(page, base, SUPPORT, DEMO_PASSWORD, "/admin/contact/")
    page.fill("input[name=search]", phone)
    page.keyboard.press("Enter")
    page.locator("table.model-list tbody tr").first.locator("a[title='View Record']").click()

    consent = page.locator("#consent-now")
    expect(consent).to_contain_text("Marketing")
    expect(consent).to_contain_text("opted in")
    expect(page.locator("body")).to_contain_text("Consent timeline")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    snap(page, "contact-as-support")

    page.click("#proof-button")
    expect(page.locator("body")).to_contain_text(phone)
    proof = page.inner_text("body")
    assert "By submitting this form, you agree to receive recurring automated promotional" \
           in proof or "JOIN" in proof
    assert "sha256" in proof.lower() or "hash" in proof.lower()
    snap(page, "contact-proof")


def test_the_flow_preview_warns_when_links_would_point_at_this_machine(demo, page, snap):
    from core.db import db
    from core.models import Brand

    app, base = demo
    with app.app_context():
        db.session.execute(sa.update(Brand).values(link_domain=None))
        db.session.commit()
    promo = _flow_id(app, "Promotional campaign")
    sign_in(page, base, MARKETING, DEMO_PASSWORD, f"/admin/flow/edit/?id={promo}")
    panel = page.locator(".live-panel")
    expect(panel).to_contain_text(re.compile("local address", re.I))
    snap(page, "flow-link-warning")

    # The audience preview says the same, and nothing can be sent.
    page.goto(f"{base}/admin/send/?flow={promo}")
    page.check("input[name=when][value=now]")
    page.click("text=See who it reaches")
    expect(page.locator(".alert-danger")).to_contain_text(re.compile("local address", re.I))
    assert page.locator("#confirm-send").count() == 0
    # And the home page's checklist points to the setting.
    page.goto(f"{base}/admin/")
    expect(page.locator("#setup-checklist")).to_contain_text("CONSENTDESK_PUBLIC_URL")
    snap(page, "dashboard-checklist", full_page=False)
