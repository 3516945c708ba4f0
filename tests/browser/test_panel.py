"""The admin panel in a real browser (headless Chromium through Playwright), CSRF switched on."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import serve

PASSWORD = "correct horse battery staple"


@pytest.fixture
def live_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    from core.security import create_user

    with app.app_context():
        create_user(app, "support@bloomandbranch.example", PASSWORD, ["support"])
    base, server = serve(app)
    yield base
    server.shutdown()


def test_support_signs_in_and_adds_a_contact_through_the_real_forms(live_server, page):
    page.goto(f"{live_server}/admin/contact/")
    assert "/login" in page.url
    page.fill("input[name=email]", "support@bloomandbranch.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server}/admin/contact/")

    page.goto(f"{live_server}/admin/contact/new/")
    page.fill("input[name=phone]", "555-CALL-NOW")
    page.click("input[type=submit][value=Save]")
    assert "is not a valid phone number" in page.content()

    page.fill("input[name=phone]", "(415) 555-2671")
    page.fill("input[name=first_name]", "Ana")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(f"{live_server}/admin/contact/**")
    listing = page.content()
    assert "+14155552671" in listing and "Ana" in listing

    assert "Flows" not in page.inner_text("nav")  # support's menu has no flows


@pytest.fixture
def sandbox_server(make_app):
    """A live app with a sandbox sender, one contact and an operations login; the queue runs
    tasks at once. (Set up before the browser starts: Playwright owns the main thread's loop.)"""
    from core.db import db
    from core.models import Brand, Campaign, Contact, Sender
    from core.security import create_user

    app = make_app(WTF_CSRF_ENABLED=True, QUEUE_URL="immediate")
    with app.app_context():
        create_user(app, "operations@bloomandbranch.example", PASSWORD, ["operations"])
        brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
        campaign = Campaign(brand=brand, name="Orders", use_case="MIXED")
        db.session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign),
                            Contact(phone="+12125550123")])
        db.session.commit()
    base, server = serve(app)
    yield base
    server.shutdown()


def test_operations_replies_stop_on_the_phone_simulator_and_sees_the_confirmation(
        sandbox_server, page):
    base = sandbox_server
    page.goto(f"{base}/admin/phone/?phone=%2B12125550123")
    page.fill("input[name=email]", "operations@bloomandbranch.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/phone/**")
    # The segment counter comes from the server as the text is typed.
    page.fill("textarea[name=body]", "STOP")
    expect(page.locator(".segments")).to_have_text(re.compile("^4 characters"))
    assert page.inner_text(".segments") == "4 characters · GSM-7 · 1 segment(s)"
    page.click("#phone button[type=submit]")
    page.wait_for_selector(".bubble.out")
    phone = page.inner_text("#phone")
    assert "STOP" in phone and "unsubscribed" in phone.lower()


@pytest.fixture
def marketing_server(make_app):
    from core.db import db
    from core.flows import seeds
    from core.models import Brand, Campaign, Sender
    from core.security import create_user

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_user(app, "marketing@bloomandbranch.example", PASSWORD, ["marketing"])
        brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                      website="https://bloomandbranch.example", support_phone="+14155550100")
        campaign = Campaign(brand=brand, name="Mixed", use_case="MIXED")
        db.session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
        db.session.flush()
        flow_id = seeds.create(db.session, "Appointment confirmation", campaign).id
        db.session.commit()
    base, server = serve(app)
    yield base, flow_id
    server.shutdown()


def test_flow_editor_previews_each_text_live(marketing_server, page):
    base, flow_id = marketing_server
    page.goto(f"{base}/admin/flow/edit/?id={flow_id}")
    page.fill("input[name=email]", "marketing@bloomandbranch.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector(".flow-preview-step")
    preview = page.inner_text(".live-panel")
    assert "Step 1: Bloom & Branch: your appointment is booked for" in preview
    assert "no findings" in preview
    # The steps are a form, not JSON: the first text is a text box of its own.
    first = page.locator(".step-text").first
    first.fill(first.input_value().replace("Reply STOP to opt out.", ""))
    expect(page.locator(".live-panel")).to_contain_text("opt_out_language_missing")
    assert "Reply STOP" not in page.input_value("textarea[name=steps]").split("}")[0]
