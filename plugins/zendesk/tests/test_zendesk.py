"""Zendesk's webhooks as Zendesk signs them (base64 HMAC-SHA256 of timestamp + body), with the
trigger body the README gives: genuine, forged, stale, tampered, redelivered (the same
invocation id), malformed; survey and case-update texts only with support consent; a
requester asking to stop becomes a revocation; the sidebar reads consent with its token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import testing
from core.db import db
from core.flows import seeds
from core.integrations import connections
from core.models import Campaign, Consent, Link, RevocationTicket

SECRET = "dGhpc19pc19hX3NpZ25pbmdfc2VjcmV0"
TOKEN = "sidebar-token-0123456789abcdef"
PHONE = "+14155550188"

TICKET = {"ticket_id": "35436", "status": "Open", "subject": "Wrong vase delivered",
          "requester_id": "111",
          "requester_name": "Mia", "requester_phone": "+1 (415) 555-0188",
          "comment": "We have sent the right vase today.", "comment_author_id": "900",
          "updated_at": "2026-12-04T10:00:00Z"}
# What Zendesk's event subscriptions send (zen:event-type:...): no requester phone.
EVENT_SUBSCRIPTION = {
    "account_id": 22129848, "detail": {"id": "35436", "status": "SOLVED", "requester_id": "111"},
    "event": {"current": "SOLVED", "previous": "OPEN"},
    "id": "cbe4028c-7239-495d-b020-f22348516046", "subject": "zen:ticket:35436",
    "time": "2026-12-04T10:00:00.000000000Z", "type": "zen:event-type:ticket.status_changed",
    "zendesk_event_version": "2022-11-06"}


@pytest.fixture
def app(tmp_path):
    app = testing.make_app(tmp_path, "zendesk", PUBLIC_URL="https://sms.bloom.example")
    with app.app_context():
        sender = testing.add_sender("+14155550142", "sandbox")
        campaign = db.session.get(Campaign, sender.campaign_id)
        campaign.brand.link_domain = "https://go.bloomandbranch.example"
        for seed in seeds.SEED_FLOWS:
            seeds.create(db.session, seed["name"], campaign, enabled=True)
        connections.save(db.session, app, app.extensions["consentdesk"].integrations["zendesk"],
                         {"signing_secret": SECRET, "sidebar_token": TOKEN,
                          "help_center": "https://bloomandbranch.zendesk.com"}, "admin")
        db.session.commit()
        yield app


def send(app, body, secret=SECRET, stamp=None, signature=None, invocation=None, raw=None):
    db.session.rollback()
    data = raw if raw is not None else json.dumps(body).encode()
    stamp = stamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    good = base64.b64encode(hmac.new(secret.encode(), stamp.encode() + data,
                                     hashlib.sha256).digest()).decode()
    headers = {"X-Zendesk-Webhook-Signature": signature if signature is not None else good,
               "X-Zendesk-Webhook-Signature-Timestamp": stamp,
               "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
               "X-Zendesk-Webhook-Invocation-Id": invocation or hashlib.md5(data).hexdigest(),
               "Content-Type": "application/json"}
    return app.test_client().post("/hooks/integrations/zendesk/events", data=data,
                                  headers=headers)


last = testing.last_delivery


texts = testing.outbound_texts


def test_the_signature_is_zendesks_own():
    """base64(HMACSHA256(TIMESTAMP + BODY)), as Zendesk documents it."""
    from consentdesk_zendesk import Zendesk

    from hooks.integrations import IntegrationRequest

    body, stamp = b'{"ticket_id": "1"}', "2021-07-07T15:53:04Z"
    signature = base64.b64encode(hmac.new(b"s3cret", stamp.encode() + body,
                                          hashlib.sha256).digest()).decode()
    request = IntegrationRequest("events", "x", "POST", {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp}, body)
    assert Zendesk().verify(request, {"signing_secret": "s3cret"})
    assert not Zendesk().verify(request, {"signing_secret": "other"})
    assert Zendesk().signed_at(request) == datetime(2021, 7, 7, 15, 53, 4, tzinfo=UTC)


def test_an_agent_update_texts_a_requester_who_opted_in_to_support(app):
    testing.opted_in(PHONE, ("support",))
    assert send(app, TICKET).status_code == 200
    assert last().status == "processed", last().outcome
    [update] = texts()
    assert "update on your request" in update.body and update.status != "blocked"
    link = db.session.scalars(sa.select(Link)).one()
    assert link.destination.startswith("https://bloomandbranch.zendesk.com/hc/requests/35436")


def test_no_support_consent_no_text(app):
    send(app, TICKET)
    [update] = texts()
    assert update.status == "blocked" and "consent" in " ".join(update.block_reasons)


def test_a_solved_ticket_sends_the_satisfaction_survey_once(app):
    testing.opted_in(PHONE, ("support",))
    solved = {**TICKET, "status": "Solved", "comment": ""}
    send(app, solved, invocation="inv-1")
    send(app, {**solved, "updated_at": "2026-12-04T11:00:00Z"}, invocation="inv-2")
    [survey] = texts()
    assert "How did we do?" in survey.body


@pytest.mark.parametrize(("comment", "revoked"), [
    ("Please stop texting me", True),
    ("STOP", True),
    ("Unsubscribe me from your texts, thanks", True),
    ("I don't want any more messages from you", True),
    ("Could you stop by the shop to pick up the old vase?", False),
    ("Thanks, the vase arrived!", False),
])
def test_a_requester_asking_to_stop_is_a_revocation_with_its_deadline(app, comment, revoked):
    testing.opted_in(PHONE, ("support", "marketing"))
    send(app, {**TICKET, "comment": comment, "comment_author_id": "111"})
    assert last().status == "processed", last().outcome
    tickets = db.session.scalars(sa.select(RevocationTicket)).all()
    assert len(tickets) == int(revoked), last().outcome
    states = set(db.session.scalars(sa.select(Consent.state)))
    assert states == ({"opted_out"} if revoked else {"opted_in"})
    if revoked:
        assert tickets[0].due_at > datetime.now(UTC) and tickets[0].channel == "helpdesk"
    assert texts() == []  # a requester's own comment is not an agent's update


@pytest.mark.parametrize("case", ["forged", "wrong secret", "stale", "future", "tampered",
                                  "no timestamp"])
def test_forged_and_stale_deliveries_are_refused(app, case):
    if case == "forged":
        answer = send(app, TICKET, signature=base64.b64encode(b"x" * 32).decode())
    elif case == "wrong secret":
        answer = send(app, TICKET, secret="guessed")
    elif case == "stale":
        old = (datetime.now(UTC) - timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = send(app, TICKET, stamp=old)
    elif case == "future":
        ahead = (datetime.now(UTC) + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = send(app, TICKET, stamp=ahead)
    elif case == "no timestamp":
        db.session.rollback()
        answer = app.test_client().post("/hooks/integrations/zendesk/events",
                                        data=json.dumps(TICKET))
    else:
        data = json.dumps(TICKET).encode()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        good = base64.b64encode(hmac.new(SECRET.encode(), stamp.encode() + data,
                                         hashlib.sha256).digest()).decode()
        answer = send(app, None, raw=data.replace(b"Mia", b"Eve"), stamp=stamp, signature=good)
    assert answer.status_code == 401
    assert last().status == "rejected" and texts() == []


def test_a_retry_with_the_same_invocation_id_is_processed_once(app):
    for _ in range(3):
        assert send(app, TICKET, invocation="inv-7").status_code == 200
    assert last().redeliveries == 2 and len(texts()) == 1


@pytest.mark.parametrize(("body", "status", "says"), [
    (EVENT_SUBSCRIPTION, "ignored", "trigger webhook"),
    ({**TICKET, "requester_phone": ""}, "ignored", "no phone"),
    ({"status": "open"}, "failed", "ticket_id"),
    ({**TICKET, "requester_phone": "n/a"}, "failed", "phone"),
])
def test_deliveries_it_cannot_act_on_are_logged_with_the_reason(app, body, status, says):
    assert send(app, body).status_code == 200
    assert last().status == status and says in last().outcome, last().outcome


def test_the_sidebar_reads_consent_with_its_token_only(app):
    testing.opted_in(PHONE, ("support",))
    client = app.test_client()
    url = "/hooks/integrations/zendesk/status?phone=(415)%20555-0188"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    answer = client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    status = answer.get_json()
    assert status["consent"]["support"]["state"] == "opted_in"
    assert status["history"][0]["source"] == "web_form" and not status["suppressed"]
    bad = client.get("/hooks/integrations/zendesk/status?phone=12",
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 400
