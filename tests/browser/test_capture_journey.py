"""A consumer signs up on the hosted form, confirms by replying Y, opens the preference
center from the welcome text's link, stops promotions; support sees all of it in the proof."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import serve, sign_in

DEMO_PASSWORD = "consentdesk-demo"
NEW_PHONE = "+14155550199"


@pytest.fixture
def demo(make_app):
    from core import demo as demo_data

    app = make_app(WTF_CSRF_ENABLED=True, QUEUE_URL="immediate")
    with app.app_context():
        assert demo_data.load(app, contacts=20)
    base, server = serve(app)
    yield app, base
    server.shutdown()


def test_sign_up_confirm_by_text_change_preferences_and_see_the_proof(demo, page, snap):
    app, base = demo
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/f/join")
    page.fill("#phone", "(415) 555-0199")
    page.fill("#first_name", "Nora")
    page.fill("#zip", "94103")
    page.get_by_role("checkbox", name=re.compile("Marketing")).check()
    snap(page, "form-1-hosted-form")
    page.get_by_role("button", name="Sign up for texts").click()
    expect(page.locator("h1")).to_have_text("Check your phone")
    expect(page.locator("body")).to_contain_text("We sent a text to (415) 555-0199")
    snap(page, "form-2-check-your-phone")

    # 2. On the phone simulator, the question has arrived; the person replies Y.
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "operations@bloomandbranch.example", DEMO_PASSWORD,
            "/admin/phone/?phone=%2B14155550199")
    expect(page.locator("#phone")).to_contain_text("reply Y to confirm")
    page.fill("textarea[name=body]", "Y")
    page.click("#phone button[type=submit]")
    expect(page.locator("#phone")).to_contain_text("subscribed")
    expect(page.locator("#phone")).to_contain_text("thanks for reaching out")
    snap(page, "form-3-reply-y")
    welcome = [t for t in page.locator("#phone .bubble").all_inner_texts()
               if "thanks for reaching out" in t][0]
    code = re.search(r"/l/([\w-]+)", welcome).group(1)

    # 3. The welcome text's link opens the person's preference page (the link domain
    # points at this server); they stop promotions.
    page.goto(f"{base}/l/{code}")
    expect(page.locator("h1")).to_have_text("Your texts from Bloom & Branch")
    snap(page, "form-4-preferences")
    page.get_by_role("button", name="Stop these").first.click()
    expect(page.locator(".ok")).to_contain_text("no more marketing texts")
    snap(page, "form-5-stopped")

    # 4. Support opens the proof: the form as shown, the question and the Y, the stop.
    context = page.context.browser.new_context()
    support = context.new_page()
    sign_in(support, base, "support@bloomandbranch.example", DEMO_PASSWORD, "/admin/contact/")
    support.fill("input[name=search]", "4155550199")
    support.keyboard.press("Enter")
    support.locator("table.model-list tbody tr").first.locator("a[title='View Record']").click()
    support.click("#proof-button")
    proof = support.locator("body")
    expect(proof).to_contain_text("Hosted form submissions")
    expect(proof).to_contain_text("Website sign-up")
    expect(proof).to_contain_text("reply Y to confirm")
    expect(proof).to_contain_text("double opt-in: submitted")
    expect(proof).to_contain_text("The form as they saw it")
    expect(proof).to_contain_text("preference_center")
    expect(proof).to_contain_text("kept and matches")
    support.locator("summary", has_text="Show the page").first.click()
    snap(support, "form-6-proof")
    context.close()


def test_marketing_builds_a_form_sees_what_it_lacks_publishes_it_and_support_records_paper(
        demo, page, snap, tmp_path):
    app, base = demo
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "marketing@bloomandbranch.example", DEMO_PASSWORD,
            "/admin/optinform/new/")
    page.fill("#name", "Spring sign-up")
    page.fill("#slug", "spring")
    page.fill("#heading", "Spring offers by text")
    page.locator("#message_types").select_option(label="Marketing", force=True)
    page.locator("#disclosure").select_option(label="Staff test phone v1", force=True)
    preview = page.frame_locator("#form-preview")
    # The preview follows the editor and says, before saving, what the disclosure lacks.
    expect(preview.locator("h1")).to_have_text("Spring offers by text", timeout=10_000)
    expect(preview.locator("body")).to_contain_text("Cannot be published yet")
    expect(preview.locator("body")).to_contain_text("Consent is not a condition of purchase")
    snap(page, "form-admin-1-lacks")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()

    page.goto(f"{base}/f/spring")
    expect(page.locator("h1")).to_have_text("This form is not available")  # a draft

    page.goto(f"{base}/admin/optinform/")
    row = page.locator("table.model-list tbody tr", has_text="Spring sign-up")
    row.locator("a[title='Address, snippet and paper form']").click()
    expect(page.locator(".alert-danger")).to_contain_text("It cannot be published yet")
    expect(page.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)
    page.click("text=Edit the form")
    page.locator("#disclosure").select_option(label="Website marketing opt-in v1", force=True)
    expect(preview.locator("body")).not_to_contain_text("Cannot be published yet",
                                                        timeout=10_000)
    page.get_by_role("button", name="Save", exact=True).click()
    row = page.locator("table.model-list tbody tr", has_text="Spring sign-up")
    row.locator("a[title='Address, snippet and paper form']").click()
    expect(page.locator("#local-warning")).to_contain_text("CONSENTDESK_PUBLIC_URL")
    page.get_by_role("button", name="Publish at /f/spring").click()
    expect(page.locator(".alert-success")).to_contain_text("is live at /f/spring")
    expect(page.locator("#snippet")).to_have_value(re.compile(r"/f/spring/embed\.js"))
    snap(page, "form-admin-2-share")

    page.goto(f"{base}/f/spring")
    expect(page.locator("h1")).to_have_text("Spring offers by text")
    expect(page.get_by_role("checkbox", name=re.compile("Marketing"))).not_to_be_checked()

    # Support records a signed paper form; the contact's proof shows the scan.
    scan = tmp_path / "signed-form.png"
    scan.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"))
    fake = tmp_path / "not-a-scan.pdf"
    fake.write_text("just words")
    support = page.context.browser.new_context().new_page()
    sign_in(support, base, "support@bloomandbranch.example", DEMO_PASSWORD,
            "/admin/paperconsent/")
    support.set_input_files("#scan", str(fake))
    support.fill("#phone", "(415) 555-0177")
    support.fill("#signed_on", "2026-11-20")
    support.get_by_label("Marketing").check()
    support.get_by_role("button", name="Record the consent").click()
    expect(support.locator("body")).to_contain_text("not a PDF, JPEG or PNG")
    support.set_input_files("#scan", str(scan))
    support.fill("#signed_on", "2026-11-20")
    support.get_by_label("Marketing").check()
    support.get_by_role("button", name="Record the consent").click()
    expect(support.locator(".alert-success")).to_contain_text("Recorded 1 opt-in(s)")
    support.click("#proof-button")
    expect(support.locator("body")).to_contain_text("paper_form")
    expect(support.locator("body")).to_contain_text("signed-form.png")
    snap(support, "form-admin-3-paper-proof")
    support.context.close()
