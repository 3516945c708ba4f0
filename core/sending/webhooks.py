"""Provider webhooks at /hooks/providers/<name>/<kind>: stored first, then verified and processed.

The raw request is committed before anything else happens, so a processing error loses
nothing: the row keeps the error and the vendor's retry (same body) processes it again.
A forged request is kept too (status ``rejected``) and answered 403.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, request

from core.db import db
from core.keywords.inbound import Inbound, receive
from core.models import WebhookEvent
from core.sending import status
from hooks.providers import Provider, WebhookReply, WebhookRequest

blueprint = Blueprint("provider_hooks", __name__)
KINDS = ("inbound", "status")
MAX_BODY = 256 * 1024
KEPT_HEADERS_SKIP = ("cookie", "authorization")


@blueprint.post("/hooks/providers/<name>/<kind>")
def receive_webhook(name: str, kind: str) -> Response:
    provider = current_app.extensions["consentdesk"].providers.get(name)
    if provider is None or kind not in KINDS:
        abort(404)
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    body = request.get_data(cache=True)
    webhook = WebhookRequest(
        kind=kind, url=public_url(current_app), method=request.method,
        headers=dict(request.headers), body=body,
        form=request.form.to_dict() if request.mimetype.endswith("form-urlencoded") else {},
        query=request.args.to_dict())
    reply, code = intake(current_app, provider, webhook)
    return Response(reply.body, status=code, content_type=reply.content_type)


def public_url(app: Flask) -> str:
    """The URL the vendor called, as it signed it: behind a proxy, from PUBLIC_URL."""
    base = app.config.get("PUBLIC_URL")
    if not base:
        return request.url
    query = request.query_string.decode()
    return f"{base.rstrip('/')}{request.path}" + (f"?{query}" if query else "")


def intake(app: Flask, provider: Provider, webhook: WebhookRequest) -> tuple[WebhookReply, int]:
    event_id = _store(provider, webhook)
    if event_id is None:  # already processed: a vendor retry
        return provider.reply(webhook), 200
    if not provider.verify(webhook):
        _finish(event_id, "rejected", "signature did not verify")
        return WebhookReply("invalid signature", status=403), 403
    try:
        with db.sessionmaker() as session, session.begin():
            _process(app, session, provider, webhook)
    except Exception as error:  # noqa: BLE001 - kept on the row; the vendor will retry
        app.logger.exception("webhook %s failed", event_id)
        _finish(event_id, "failed", f"{type(error).__name__}: {error}")
        return WebhookReply("processing failed; stored for retry", status=500), 500
    _finish(event_id, "processed", None)
    return provider.reply(webhook), 200


def _process(app: Flask, session, provider: Provider, webhook: WebhookRequest) -> None:
    if webhook.kind == "inbound":
        for text in provider.parse_inbound(webhook):
            receive(session, app, Inbound(
                from_phone=text.from_phone, to_phone=text.to_phone, body=text.body,
                provider=provider.name, provider_message_id=text.provider_message_id,
                sent_at=text.sent_at), provider_replied=text.handled_by_provider)
    else:
        for update in provider.parse_status(webhook):
            if status.apply(session, provider.name, update) is None:
                app.logger.warning("%s receipt for unknown message %s", provider.name,
                                   update.provider_message_id)


def _store(provider: Provider, webhook: WebhookRequest) -> int | None:
    """The stored row's id, or None when this exact request was processed before."""
    key = hashlib.sha256(webhook.kind.encode() + b"\0" + webhook.body).hexdigest()
    source = f"provider:{provider.name}"
    headers = {k: v for k, v in webhook.headers.items() if k.lower() not in KEPT_HEADERS_SKIP}
    with db.sessionmaker() as session, session.begin():
        existing = session.scalars(sa.select(WebhookEvent).where(
            WebhookEvent.source == source, WebhookEvent.idempotency_key == key)).first()
        if existing is not None:
            return None if existing.status == "processed" else existing.id
        event = WebhookEvent(source=source, endpoint=f"{webhook.kind} {webhook.url}",
                             idempotency_key=key, headers=headers,
                             body=webhook.body.decode("utf-8", errors="replace"))
        session.add(event)
        session.flush()
        return event.id


def _finish(event_id: int, outcome: str, error: str | None) -> None:
    with db.sessionmaker() as session, session.begin():
        event = session.get(WebhookEvent, event_id)
        event.status, event.error = outcome, error
        event.processed_at = datetime.now(UTC)
