"""An admin connects Zendesk from the Integrations page (the secret is never shown again),
sees a forged delivery refused and a genuine one processed in the log, fixes a failing
delivery's cause and replays it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import serve, sign_in

DEMO_PASSWORD = "consentdesk-demo"
SECRET = "zendesk-signing-secret-browser"


@pytest.fixture
def demo(make_app):
    from consentdesk_zendesk import Zendesk

    from core import demo as demo_data
    from hooks import hookimpl

    class Plugin:
        @hookimpl
        def register_integrations(self, settings):
            return [Zendesk()]

    app = make_app(WTF_CSRF_ENABLED=True, QUEUE_URL="immediate", EXTRA_PLUGINS=[Plugin()])
    with app.app_context():
        assert demo_data.load(app, contacts=10)
    base, server = serve(app)
    yield app, base
    server.shutdown()


def deliver(app, ticket, secret=SECRET):
    body = json.dumps(ticket).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(hmac.new(secret.encode(), stamp.encode() + body,
                                          hashlib.sha256).digest()).decode()
    return app.test_client().post("/hooks/integrations/zendesk/events", data=body, headers={
        "X-Zendesk-Webhook-Signature": signature, "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Invocation-Id": hashlib.md5(body).hexdigest()})


def test_admin_connects_zendesk_sees_deliveries_and_replays_a_failed_one(demo, page, snap):
    app, base = demo
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "admin@bloomandbranch.example", DEMO_PASSWORD, "/admin/integrations/")
    card = page.locator(".card", has_text="Zendesk")
    expect(card).to_contain_text("not connected")
    card.get_by_role("link", name="Connect").click()
    page.fill("#help_center", "https://bloomandbranch.zendesk.com")
    page.fill("#signing_secret", SECRET)
    page.get_by_role("button", name="Connect Zendesk").click()
    expect(page.locator(".alert-success")).to_contain_text("Zendesk is connected")
    expect(page.locator("#signing_secret")).to_have_value("")  # never shown again
    expect(page.locator("body")).to_contain_text("Saved and never shown again")
    expect(page.locator("input[aria-label='Webhook address']")).to_have_value(
        f"{base}/hooks/integrations/zendesk/events")

    ticket = {"ticket_id": "77", "status": "Open", "subject": "Vase", "requester_id": "5",
              "requester_phone": "+1 415 555 0144", "comment": "Please stop texting me",
              "comment_author_id": "5"}
    assert deliver(app, ticket, secret="forged").status_code == 401
    assert deliver(app, {**ticket, "requester_phone": "not a phone"}).status_code == 200
    assert deliver(app, ticket).status_code == 200
    page.reload()
    rows = page.locator("#deliveries tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("revocation recorded")
    expect(rows.nth(1)).to_contain_text("failed")
    expect(rows.nth(2)).to_contain_text("rejected")
    expect(rows.nth(2).get_by_role("button", name="Replay")).to_have_count(0)
    snap(page, "integrations-zendesk")
    rows.nth(1).get_by_role("button", name="Replay").click()
    expect(page.locator(".alert-danger")).to_contain_text("run again: failed")

    page.goto(f"{base}/admin/integrations/")
    expect(page.locator(".card", has_text="Zendesk")).to_contain_text("connected")
    snap(page, "integrations")
