"""Provider webhooks through the sandbox: stored first, verified, keyword engine, receipts."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fakes import Reseller

from core.consent import app_ledger
from core.consent.suppression import is_suppressed
from core.db import db
from core.models import (
    Brand,
    Campaign,
    ConsentEvent,
    Contact,
    Disclosure,
    Message,
    MessageType,
    Sender,
    WebhookEvent,
)
from core.sending import dispatch as dispatcher
from core.sending import status
from hooks import hookimpl
from hooks.providers import StatusUpdate

SENDER = "+14155550142"
PHONE = "+12125550123"


@pytest.fixture
def app(make_app):
    return make_app(QUEUE_URL="immediate")


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
    campaign = Campaign(brand=brand, name="Orders", use_case="MIXED",
                        help_text="Bloom & Branch: help at bloom.example/help. Reply STOP to cancel.")
    sender = Sender(address=SENDER, campaign=campaign)  # the sandbox provider
    contact = Contact(phone=PHONE)
    session.add_all([brand, campaign, sender, contact])
    session.flush()
    disclosure = Disclosure(name="Checkout", text="Order texts. Reply STOP to cancel.")
    session.add(disclosure)
    for slug in ("transactional", "support"):
        app_ledger(app, session).opt_in(
            contact, session.scalars(sa.select(MessageType).filter_by(slug=slug)).one(),
            source="web_form", disclosure=disclosure, actor="checkout",
            occurred_at=datetime(2026, 1, 5, tzinfo=UTC))
    session.commit()
    return {"contact_id": contact.id}


def sandbox(app):
    return app.extensions["consentdesk"].providers["sandbox"]


def post(client, app, kind, payload, signature=None, query=""):
    body = json.dumps(payload).encode()
    headers = sandbox(app).signed_headers(body)
    if signature is not None:
        headers["X-Sandbox-Signature"] = signature
    return client.post(f"/hooks/providers/sandbox/{kind}{query}", data=body, headers=headers)


def inbound(body, message_id):
    return {"from": PHONE, "to": SENDER, "body": body, "id": message_id,
            "sent_at": datetime.now(UTC).isoformat()}


def replies(session):
    session.expire_all()
    return session.scalars(sa.select(Message).where(Message.direction == "out")
                           .order_by(Message.id)).all()


def test_inbound_stop_records_the_opt_out_and_the_one_reply_goes_out(
        app, client, session, world):
    response = post(client, app, "inbound", inbound("STOP", "SB-in-1"))
    assert response.status_code == 200
    event = session.scalars(sa.select(ConsentEvent).where(ConsentEvent.action == "opt_out")).one()
    assert event.source == "keyword" and event.message_type_id is None
    assert is_suppressed(session, app.config["SUPPRESSION_KEY"], PHONE)
    [reply] = replies(session)
    assert reply.compliance_reply and reply.status == "delivered"  # sent by the queue at once
    assert "unsubscribed" in reply.body.lower() or "no more" in reply.body.lower()
    stored = session.scalars(sa.select(WebhookEvent)).one()
    assert stored.status == "processed" and stored.source == "provider:sandbox"


def test_inbound_help_and_start_get_their_replies(app, client, session, world):
    post(client, app, "inbound", inbound("HELP", "SB-in-2"))
    post(client, app, "inbound", inbound("STOP", "SB-in-3"))
    post(client, app, "inbound", inbound("START", "SB-in-4"))
    bodies = [m.body for m in replies(session)]
    assert len(bodies) == 3 and "help at bloom.example/help" in bodies[0]
    assert [m.status for m in replies(session)] == ["delivered"] * 3
    assert not is_suppressed(session, app.config["SUPPRESSION_KEY"], PHONE)


def test_a_forged_webhook_is_kept_rejected_and_changes_nothing(app, client, session, world):
    response = post(client, app, "inbound", inbound("STOP", "SB-in-5"), signature="0" * 64)
    assert response.status_code == 403
    assert session.scalars(sa.select(ConsentEvent).where(ConsentEvent.action == "opt_out")).all() == []
    stored = session.scalars(sa.select(WebhookEvent)).one()
    assert stored.status == "rejected" and json.loads(stored.body)["body"] == "STOP"


def test_a_repeated_webhook_is_processed_once(app, client, session, world):
    payload = inbound("STOP", "SB-in-6")
    assert post(client, app, "inbound", payload).status_code == 200
    assert post(client, app, "inbound", payload).status_code == 200
    assert len(session.scalars(sa.select(ConsentEvent).where(
        ConsentEvent.action == "opt_out")).all()) == 1
    assert len(replies(session)) == 1


def test_a_processing_failure_keeps_the_request_and_the_retry_processes_it(
        app, client, session, world, monkeypatch):
    from core.sending import webhooks

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(webhooks, "receive", broken)
    payload = inbound("STOP", "SB-in-7")
    assert post(client, app, "inbound", payload).status_code == 503  # never a 500
    stored = session.scalars(sa.select(WebhookEvent)).one()
    assert stored.status == "failed" and "database hiccup" in stored.error
    monkeypatch.undo()
    assert post(client, app, "inbound", payload).status_code == 200  # the vendor's retry
    session.expire_all()
    assert session.scalars(sa.select(WebhookEvent)).one().status == "processed"
    assert is_suppressed(session, app.config["SUPPRESSION_KEY"], PHONE)


def test_the_sweep_processes_a_failed_request_again_without_the_vendor(
        app, client, session, world, monkeypatch):
    from core import worker
    from core.sending import webhooks

    monkeypatch.setattr(webhooks, "receive", lambda *a, **k: 1 / 0)
    assert post(client, app, "inbound", inbound("STOP", "SB-in-8")).status_code == 503
    monkeypatch.undo()
    with app.app_context():
        assert worker.sweep(app)["webhooks_retried"] == 1
    session.expire_all()
    assert session.scalars(sa.select(WebhookEvent)).one().status == "processed"
    assert is_suppressed(session, app.config["SUPPRESSION_KEY"], PHONE)


def test_malformed_webhook_body_is_a_clear_400_not_a_crash(app, client, session, world):
    response = post(client, app, "inbound", {"from": PHONE})
    assert response.status_code == 400
    assert "missing to, body, id" in response.get_data(as_text=True)
    stored = session.scalars(sa.select(WebhookEvent)).one()
    assert stored.status == "malformed" and "missing to, body, id" in stored.error


def test_unknown_provider_or_kind_is_404(client):
    assert client.post("/hooks/providers/nonesuch/inbound", data=b"{}").status_code == 404
    assert client.post("/hooks/providers/sandbox/other", data=b"{}").status_code == 404


def sent_message(app, session, world):
    """A transactional text dispatched through the sandbox, then rewound to 'sent'."""
    post(client=app.test_client(), app=app, kind="inbound", payload=inbound("HELP", "SB-in-9"))
    [message] = replies(session)
    message.status = "sent"
    session.commit()
    return message


def test_status_callbacks_only_move_forward(app, client, session, world):
    message = sent_message(app, session, world)
    query = f"?message={message.id}"
    payload = {"id": message.provider_message_id, "status": "delivered"}
    assert post(client, app, "status", payload, query=query).status_code == 200
    late = {"id": message.provider_message_id, "status": "sent"}
    assert post(client, app, "status", late, query=query).status_code == 200
    session.expire_all()
    assert session.get(Message, message.id).status == "delivered"
    other = {"id": message.provider_message_id, "status": "undelivered", "error_code": "30003"}
    post(client, app, "status", other, query=query)
    session.expire_all()
    assert session.get(Message, message.id).status == "delivered"  # final stays final


def test_a_receipt_before_the_send_was_recorded_heals_the_row(app, client, session, world):
    message = sent_message(app, session, world)
    message_id = message.id
    session.execute(sa.update(Message).where(Message.id == message_id)  # a crash's leftovers
                    .values(status="sending", provider_message_id=None))
    session.commit()
    update = StatusUpdate(provider_message_id="SBabc", status="delivered",
                          message_key=str(message_id))
    with db.sessionmaker() as other, other.begin():
        status.apply(other, "sandbox", update)
    session.expire_all()
    healed = session.get(Message, message_id)
    assert (healed.status, healed.provider_message_id) == ("delivered", "SBabc")
    session.commit()
    dispatcher_result = dispatcher.recover(app, now=datetime(2099, 1, 1, tzinfo=UTC))
    assert dispatcher_result == {}  # nothing left to reconcile


def test_sandbox_magic_numbers_exercise_the_failure_paths(app, session, world):
    from core.builtin.sandbox import INVALID, OPTED_OUT_NUMBER, UNAVAILABLE
    from hooks.providers import OutboundText, PermanentFailure, RecipientOptedOut, TemporaryFailure

    provider = sandbox(app)
    for number, error in ((INVALID, PermanentFailure), (OPTED_OUT_NUMBER, RecipientOptedOut),
                          (UNAVAILABLE, TemporaryFailure)):
        with pytest.raises(error):
            provider.send(OutboundText(key="k", to=number, from_=SENDER, body="hi"))


def test_hook_register_branding(make_app, login):
    assert make_app().extensions["consentdesk"].branding.product_name == "Consentdesk"
    app = make_app(EXTRA_PLUGINS=[Reseller()])
    assert app.extensions["consentdesk"].branding.product_name == "TextRight"


def test_hook_register_providers(make_app):
    from fakes import FakePlugin, FakeVendor

    app = make_app(EXTRA_PLUGINS=[FakePlugin(FakeVendor())])
    assert set(app.extensions["consentdesk"].providers) == {"sandbox", "fake"}

    class Twice:
        @hookimpl
        def register_providers(self, settings):
            return [FakeVendor()]

    with pytest.raises(RuntimeError, match="provider 'fake'"):
        make_app(EXTRA_PLUGINS=[FakePlugin(FakeVendor()), Twice()])
