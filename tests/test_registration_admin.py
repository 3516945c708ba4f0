"""The readiness screen, the hosted terms and privacy pages, and the command line."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from core import demo
from core.models import AuditLog, Brand, Campaign
from core.registration import fetch


@pytest.fixture
def demo_loaded(app, session):
    demo.load(app, contacts=3)
    session.commit()
    return session.scalars(sa.select(Campaign)).one()


def sign_in(client, role: str) -> None:
    response = client.post("/login", data={"email": f"{role}@bloomandbranch.example",
                                           "password": demo.PASSWORD})
    assert response.status_code == 302


def test_the_demo_campaign_screen_shows_no_blocking_findings(client, demo_loaded):
    sign_in(client, "admin")
    page = client.get(f"/admin/readiness/{demo_loaded.id}").get_data(as_text=True)
    assert "Blocks submission" not in page
    assert "https://go.bloomandbranch.example/f/join" in page
    assert "Registry limits" in page and "Pre-submission rules" in page
    assert "Download JSON" in page  # the sandbox provider's registration request
    listing = client.get("/admin/readiness/").get_data(as_text=True)
    assert "promotions and order updates" in listing and "ready" in listing


def test_findings_show_what_to_fix_and_the_generated_text_can_be_used(client, session,
                                                                       demo_loaded):
    demo_loaded.message_flow = "Customers sign up."
    demo_loaded.sample_messages = ["Hi"]
    session.commit()
    sign_in(client, "marketing")
    page = client.get(f"/admin/readiness/{demo_loaded.id}").get_data(as_text=True)
    assert 'id="finding-message_flow.opt_in_location"' in page
    assert "Blocks submission" in page and "most common reason" in page
    response = client.post(f"/admin/readiness/{demo_loaded.id}/apply",
                           data={"field": ["message_flow", "sample_messages", "bogus"]})
    assert response.status_code == 302
    session.expire_all()
    campaign = session.get(Campaign, demo_loaded.id)
    assert "https://go.bloomandbranch.example/f/join" in campaign.message_flow
    assert len(campaign.sample_messages) >= 3
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.model == "Campaign")).all()
    assert {next(iter(a.after)) for a in audit} == {"message_flow", "sample_messages"}


def test_support_sees_the_screen_but_cannot_change_anything(client, session, demo_loaded):
    sign_in(client, "support")
    response = client.get(f"/admin/readiness/{demo_loaded.id}")
    if response.status_code == 200:  # support may read campaigns: nothing to press
        assert "Use the ticked texts" not in response.get_data(as_text=True)
    assert client.post(f"/admin/readiness/{demo_loaded.id}/apply",
                       data={"field": "message_flow"}).status_code in (302, 403)
    assert client.post(f"/admin/readiness/{demo_loaded.id}/review").status_code in (302, 403)
    session.expire_all()
    assert "Customers sign up" not in session.get(Campaign, demo_loaded.id).message_flow


def test_payload_downloads_as_json(client, demo_loaded):
    sign_in(client, "admin")
    response = client.get(f"/admin/readiness/{demo_loaded.id}/payload.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    body = json.loads(response.data)
    assert body["campaign"]["message_flow"] == demo_loaded.message_flow


def test_hosted_terms_and_privacy_pages(client, session, demo_loaded):
    brand = session.scalars(sa.select(Brand)).one()
    assert client.get(f"/legal/{brand.id}/terms").status_code == 404  # not published yet
    brand.legal_pages_published = True
    session.commit()
    terms = client.get(f"/legal/{brand.id}/terms").get_data(as_text=True)
    assert "Carrier liability" in terms and "Bloom &amp; Branch text message terms" in terms
    privacy = client.get(f"/legal/{brand.id}/privacy").get_data(as_text=True)
    assert "never shared" in privacy
    assert client.get(f"/legal/{brand.id + 1}/terms").status_code == 404


def test_cli_checks_a_pasted_field_and_the_campaign(runner, app, session, demo_loaded):
    result = runner.invoke(["registration", "check", "--field", "message_flow", "--text",
                            "Customers sign up", "--json"])
    assert result.exit_code == 1  # 17 characters: below the registry's 40
    found = json.loads(result.output)
    assert "message_flow.opt_in_location" in {f["rule"] for f in found["findings"]}
    approved = ("End users opt in at https://www.bloomandbranch.example/sms-enroll (self-"
                "service) or by asking in store. Reply STOP to opt out.")
    result = runner.invoke(["registration", "check", "--field", "message_flow", "--text",
                            approved])
    assert result.exit_code == 0 and "opt_in_location" not in result.output
    result = runner.invoke(["registration", "check", "--campaign", str(demo_loaded.id)])
    assert result.exit_code == 0, result.output
    assert "No findings" in result.output or "Blocks submission" not in result.output
    result = runner.invoke(["registration", "check", "--field", "privacy", "--text",
                            "We may share your number with partners."])
    assert "privacy.no_sharing" in result.output
    result = runner.invoke(["registration", "check", "--field", "nonsense", "--text", "x"])
    assert result.exit_code == 2 and "unknown field" in result.output


def test_cli_generates_and_applies(runner, session, demo_loaded):
    demo_loaded.description = "Texts."
    session.commit()
    result = runner.invoke(["registration", "generate", "--json"])
    generated = json.loads(result.output[:result.output.rindex("}") + 1])
    assert generated["description"].startswith("Bloom & Branch")
    result = runner.invoke(["registration", "generate", "--apply", "description"])
    assert result.exit_code == 0
    session.expire_all()
    assert session.get(Campaign, demo_loaded.id).description == generated["description"]


# The live-page fetch, against names resolved by hand and a transport that plays the sites.
ADDRESSES = {"public.example": "93.184.216.34", "private.example": "10.0.0.5",
             "loopback.example": "127.0.0.1", "metadata.example": "169.254.169.254"}


@pytest.fixture
def resolver(monkeypatch):
    def getaddrinfo(host, *_args, **_kwargs):
        if host not in ADDRESSES:
            import socket

            raise socket.gaierror("not found")
        return [(2, 1, 6, "", (ADDRESSES[host], 0))]

    monkeypatch.setattr(fetch.socket, "getaddrinfo", getaddrinfo)


def site(request: httpx.Request) -> httpx.Response:
    host, path = request.headers["host"], request.url.path
    assert request.url.host == ADDRESSES[host]  # connected to the address that was checked
    if path == "/terms":
        return httpx.Response(200, html="<html><head><title>x</title><style>p{}</style></head>"
                              "<body><script>var a=1</script><h1>Terms</h1><p>Reply STOP "
                              "&amp; HELP. <a href='https://public.example/privacy'>Privacy"
                              "</a></p></body></html>")
    if path == "/moved":
        return httpx.Response(302, headers={"location": "http://private.example/secret"})
    if path == "/loop":
        return httpx.Response(302, headers={"location": "/loop"})
    if path == "/huge":
        return httpx.Response(200, content=b"x" * (fetch.LIMIT + 10))
    return httpx.Response(404)


def client_for_sites() -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(site), follow_redirects=False)


def test_fetch_reads_visible_text_with_link_addresses(resolver):
    text = fetch.fetch_text("https://public.example/terms", client=client_for_sites())
    assert "Reply STOP & HELP." in text and "https://public.example/privacy" in text
    assert "var a" not in text and "p{}" not in text


@pytest.mark.parametrize("url,why", [
    ("http://private.example/x", "private or local"),
    ("http://loopback.example/x", "private or local"),
    ("http://metadata.example/latest", "private or local"),
    ("https://public.example/moved", "private or local"),  # a redirect inward is refused
    ("https://public.example/loop", "redirects more than"),
    ("https://public.example/huge", "larger than"),
    ("https://public.example/none", "answered 404"),
    ("https://public.example:8080/terms", "standard web ports"),
    ("ftp://public.example/terms", "not an http"),
    ("https://nowhere.example/", "does not resolve"),
])
def test_fetch_refuses_what_it_should_not_read(resolver, url, why):
    with pytest.raises(fetch.FetchError, match=why):
        fetch.fetch_text(url, client=client_for_sites())


def test_submission_through_the_provider_and_its_answer(client, session, demo_loaded,
                                                        monkeypatch):
    from core.builtin.sandbox import SandboxProvider
    from core.models import RegistrationVersion

    demo_loaded.status = "draft"
    session.commit()
    sign_in(client, "marketing")
    page = client.get(f"/admin/readiness/{demo_loaded.id}").get_data(as_text=True)
    assert "Submit this request to sandbox" in page
    assert client.post(f"/admin/readiness/{demo_loaded.id}/submit",
                       data={"step": "submit"}).status_code == 302
    session.expire_all()
    campaign = session.get(Campaign, demo_loaded.id)
    assert campaign.status == "submitted" and campaign.registration_reference.startswith("SBX-")
    assert client.post(f"/admin/readiness/{demo_loaded.id}/submit",
                       data={"step": "status"}).status_code == 302
    session.expire_all()
    assert session.get(Campaign, demo_loaded.id).status == "submitted"  # still in review
    monkeypatch.setattr(SandboxProvider, "REVIEW_SECONDS", 0)
    client.post(f"/admin/readiness/{demo_loaded.id}/submit", data={"step": "status"})
    session.expire_all()
    assert session.get(Campaign, demo_loaded.id).status == "approved"
    reasons = session.scalars(sa.select(RegistrationVersion.reason).order_by(
        RegistrationVersion.id)).all()
    assert reasons[-2:] == ["submitted", "approved"]


def test_a_vague_flow_comes_back_rejected_with_the_reason(client, session, demo_loaded,
                                                          monkeypatch):
    from core.builtin.sandbox import SandboxProvider

    monkeypatch.setattr(SandboxProvider, "REVIEW_SECONDS", 0)
    demo_loaded.status = "draft"
    demo_loaded.message_flow = "Customers sign up for our texts whenever they like to."
    session.commit()
    sign_in(client, "admin")
    client.post(f"/admin/readiness/{demo_loaded.id}/submit", data={"step": "submit"})
    client.post(f"/admin/readiness/{demo_loaded.id}/submit", data={"step": "status"})
    session.expire_all()
    campaign = session.get(Campaign, demo_loaded.id)
    assert campaign.status == "rejected" and "where and how" in campaign.registration_note
    page = client.get(f"/admin/readiness/{demo_loaded.id}").get_data(as_text=True)
    assert "Reviewer&#39;s reason" in page or "Reviewer's reason" in page
