"""Provider webhooks at /hooks/providers/<name>/<kind>: bounded, verified, stored, processed.

1. The body is read up to ``MAX_BODY`` however it is framed (Content-Length or chunked);
   past it the answer is 413 and nothing is stored.
2. The signature is checked on the raw bytes, exactly as the vendor computes it.
3. The request is stored before it is processed, so a processing error loses nothing: a
   verified request keeps its whole body; a refused one only an excerpt (the headers, the
   size, the SHA-256 and the first KB), so anonymous traffic cannot fill the database.
4. A verified request that lacks what its route needs is answered 400 with the reason and
   kept for audit; one that fails to process is kept as ``failed`` and processed again by
   the worker's sweep (the vendor's own retry works too: the same body finds the same row).
   No request is ever answered 500.

Rows are kept for a retention period (``WEBHOOK_RETENTION_DAYS``, refused and malformed
ones ``WEBHOOK_REJECTED_RETENTION_DAYS``) and then deleted by the sweep.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from core.db import db, utcnow
from core.keywords.inbound import Inbound, receive
from core.models import WebhookEvent
from core.sending import outcomes, status
from hooks.providers import (
    DELIVERED,
    FormValues,
    MalformedWebhook,
    Provider,
    WebhookReply,
    WebhookRequest,
)

blueprint = Blueprint("provider_hooks", __name__)
KINDS = ("inbound", "status")
MAX_BODY = 256 * 1024
EXCERPT = 1024
MAX_HEADERS, MAX_HEADER_VALUE = 60, 1024
KEPT_HEADERS_SKIP = ("cookie", "authorization")
RETRIES = 5  # times the sweep processes a failed request again
PROCESSING_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


@blueprint.url_value_preprocessor
def _limit_body(_endpoint: str | None, _values: dict | None) -> None:
    """Set the body limit before anything reads the body: this runs ahead of every
    before-request hook (the login extension looks into JSON bodies for a token)."""
    # One byte past the limit is read at most, so a longer body shows itself however it is
    # framed (Werkzeug stops a chunked body at the limit without saying it went on).
    request.max_content_length = MAX_BODY + 1


@blueprint.post("/hooks/providers/<name>/<kind>")
def receive_webhook(name: str, kind: str) -> Response:
    provider = current_app.extensions["consentdesk"].providers.get(name)
    if provider is None or kind not in KINDS:
        abort(404)
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        body = None
    if body is None or len(body) > MAX_BODY:
        return Response(f"request body larger than {MAX_BODY} bytes", status=413,
                        content_type="text/plain")
    webhook = build_request(kind, public_url(current_app), request.method,
                            dict(request.headers), body, request.mimetype)
    reply, code = intake(current_app, provider, webhook)
    return Response(reply.body, status=code, content_type=reply.content_type)


def build_request(kind: str, url: str, method: str, headers: dict[str, str], body: bytes,
                  mimetype: str = "") -> WebhookRequest:
    """A :class:`WebhookRequest` with every value of a repeated form or query key kept."""
    form: tuple[tuple[str, str], ...] = ()
    if mimetype.endswith("form-urlencoded"):
        form = tuple(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    query = tuple(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return WebhookRequest(kind=kind, url=url, method=method, headers=headers, body=body,
                          form=FormValues(form), query=FormValues(query), content_type=mimetype)


def public_url(app: Flask) -> str:
    """The URL the vendor called, as it signed it: behind a proxy, from PUBLIC_URL."""
    base = app.config.get("PUBLIC_URL")
    query = request.query_string.decode("utf-8", errors="replace")
    if not base:
        base = request.host_url
    return f"{base.rstrip('/')}{request.path}" + (f"?{query}" if query else "")


def intake(app: Flask, provider: Provider, webhook: WebhookRequest) -> tuple[WebhookReply, int]:
    verified = _verify(app, provider, webhook)
    try:
        event_id, processed = _store(provider, webhook, verified)
    except SQLAlchemyError:
        app.logger.exception("webhook from %s could not be stored", provider.name)
        return WebhookReply("cannot store the request now; send it again", status=503), 503
    if not verified:
        return WebhookReply("invalid signature", status=403), 403
    if processed:  # a vendor retry of a request already processed
        return provider.reply(webhook), 200
    return process(app, provider, webhook, event_id)


def process(app: Flask, provider: Provider, webhook: WebhookRequest,
            event_id: int) -> tuple[WebhookReply, int]:
    """Process a stored, verified request; record how it went on its row."""
    try:
        with db.sessionmaker() as session, session.begin():
            _process(app, session, provider, webhook, event_id)
    except MalformedWebhook as error:
        _finish(app, event_id, "malformed", str(error))
        return WebhookReply(f"malformed request: {error}", status=400), 400
    except Exception as error:  # noqa: BLE001 - kept on the row; processed again later
        app.logger.exception("webhook %s failed", event_id)
        malformed = isinstance(error, PROCESSING_ERRORS) and _parse_fails(provider, webhook)
        if malformed:
            _finish(app, event_id, "malformed", f"{type(error).__name__}: {error}")
            return WebhookReply(f"malformed request: {type(error).__name__}: {error}",
                                status=400), 400
        if not _finish(app, event_id, "failed", f"{type(error).__name__}: {error}"):
            return WebhookReply("cannot process the request now; send it again",
                                status=503), 503
        return WebhookReply("stored; it will be processed again", status=503), 503
    _finish(app, event_id, "processed", None)
    return provider.reply(webhook), 200


def _verify(app: Flask, provider: Provider, webhook: WebhookRequest) -> bool:
    try:
        return bool(provider.verify(webhook))
    except Exception:  # noqa: BLE001 - a verifier that crashes refuses the request
        app.logger.warning("%s: signature check raised; request refused", provider.name,
                           exc_info=True)
        return False


def _parse_fails(provider: Provider, webhook: WebhookRequest) -> bool:
    """Did the provider's parser, not our processing, fail on this request?"""
    parse = provider.parse_inbound if webhook.kind == "inbound" else provider.parse_status
    try:
        parse(webhook)
    except Exception:  # noqa: BLE001
        return True
    return False


def _process(app: Flask, session, provider: Provider, webhook: WebhookRequest,
             event_id: int) -> None:
    if webhook.kind == "inbound":
        for text in provider.parse_inbound(webhook):
            receive(session, app, Inbound(
                from_phone=text.from_phone, to_phone=text.to_phone, body=text.body,
                provider=provider.name, provider_message_id=text.provider_message_id,
                sent_at=text.sent_at), provider_replied=text.handled_by_provider)
        return
    for update in provider.parse_status(webhook):
        try:
            message = status.apply(session, provider.name, update)
        except ValueError as error:
            raise MalformedWebhook(str(error)) from None
        if message is None:
            app.logger.warning("%s receipt for unknown message %s", provider.name,
                               update.provider_message_id)
            continue
        if update.error_code:
            outcomes.apply(app, session, provider, message, update.error_code, utcnow(),
                           f"status callback {update.status} (webhook {event_id})")
        elif update.status == DELIVERED and message.status == DELIVERED:
            outcomes.delivered(session, message)


def _headers(webhook: WebhookRequest) -> dict[str, str]:
    kept = {}
    for key, value in list(webhook.headers.items())[:MAX_HEADERS]:
        if key.lower() not in KEPT_HEADERS_SKIP:
            kept[key[:100]] = str(value)[:MAX_HEADER_VALUE]
    return kept


def _store(provider: Provider, webhook: WebhookRequest, verified: bool) -> tuple[int, bool]:
    """The row's id and whether it was processed before. A refused request keeps only an
    excerpt; the same request verified later (a key fixed) gets its whole body back."""
    key = hashlib.sha256(webhook.kind.encode() + b"\0" + webhook.body).hexdigest()
    source = f"provider:{provider.name}"
    whole = webhook.body.decode("utf-8", errors="replace")
    excerpt = webhook.body[:EXCERPT].decode("utf-8", errors="replace")
    with db.sessionmaker() as session, session.begin():
        existing = session.scalars(sa.select(WebhookEvent).where(
            WebhookEvent.source == source, WebhookEvent.idempotency_key == key)).first()
        if existing is not None:
            if existing.status == "processed":
                return existing.id, True
            if verified and existing.status == "rejected":
                existing.body, existing.status, existing.error = whole, "received", None
            return existing.id, False
        event = WebhookEvent(
            source=source, endpoint=f"{webhook.kind} {webhook.url}"[:200], idempotency_key=key,
            headers=_headers(webhook), body=whole if verified else excerpt,
            body_size=len(webhook.body), body_sha256=hashlib.sha256(webhook.body).hexdigest(),
            status="received" if verified else "rejected",
            error=None if verified else "signature did not verify")
        session.add(event)
        session.flush()
        return event.id, False


def _finish(app: Flask, event_id: int, outcome: str, error: str | None) -> bool:
    try:
        with db.sessionmaker() as session, session.begin():
            event = session.get(WebhookEvent, event_id)
            event.status, event.error = outcome, (error or None) and error[:2000]
            event.processed_at = utcnow()
            if outcome == "failed":
                event.attempts = (event.attempts or 0) + 1
        return True
    except SQLAlchemyError:
        app.logger.exception("webhook %s: could not record %s", event_id, outcome)
        return False


def retry_failed(app: Flask, now: datetime | None = None, limit: int = 100) -> int:
    """Process again the verified requests whose processing failed (the sweep calls this)."""
    providers = app.extensions["consentdesk"].providers
    with db.sessionmaker() as session:
        rows = session.execute(sa.select(
            WebhookEvent.id, WebhookEvent.source, WebhookEvent.endpoint, WebhookEvent.headers,
            WebhookEvent.body).where(WebhookEvent.status == "failed",
                                     WebhookEvent.attempts < RETRIES)
            .order_by(WebhookEvent.id).limit(limit)).all()
    done = 0
    for row in rows:
        provider = providers.get(row.source.removeprefix("provider:"))
        if provider is None or " " not in row.endpoint:
            continue
        kind, url = row.endpoint.split(" ", 1)
        headers = dict(row.headers or {})
        mimetype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        webhook = build_request(kind, url, "POST", headers, row.body.encode("utf-8"),
                                mimetype.split(";")[0].strip())
        _, code = process(app, provider, webhook, row.id)
        done += code == 200
    return done


def purge(app: Flask, now: datetime | None = None) -> int:
    """Delete stored requests past their retention period; returns how many."""
    now = now or utcnow()
    kept = timedelta(days=int(app.config.get("WEBHOOK_RETENTION_DAYS", 90)))
    refused = timedelta(days=int(app.config.get("WEBHOOK_REJECTED_RETENTION_DAYS", 7)))
    with db.sessionmaker() as session, session.begin():
        gone = session.execute(sa.delete(WebhookEvent).where(sa.or_(
            sa.and_(WebhookEvent.status.in_(("rejected", "malformed")),
                    WebhookEvent.received_at < now - refused),
            sa.and_(WebhookEvent.status == "processed", WebhookEvent.received_at < now - kept),
            sa.and_(WebhookEvent.status == "failed", WebhookEvent.attempts >= RETRIES,
                    WebhookEvent.received_at < now - kept))))
    return gone.rowcount or 0
