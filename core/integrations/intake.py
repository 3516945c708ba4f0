"""Integration webhooks at /hooks/integrations/<name>/<route>: stored, verified, answered at
once, processed once in the task queue.

1. The body is read up to ``MAX_BODY``; past it the answer is 413 and nothing is stored.
2. The delivery is stored first. A verified one keeps its whole raw body and headers under the
   sender's event id; a refused one (no connection, bad or missing signature, a signed time
   more than the integration's tolerance away) keeps the headers and first KB, with no event
   id, so a forgery can never claim a genuine event's id. It is answered 401 and nothing runs.
3. A redelivery of an event id already stored is answered 200 and counted, never processed
   again. A new one is answered 200 at once (Shopify waits 5 s at most) and its mapping runs
   in the task queue: an unknown topic is logged as ignored, a mapping error marks it failed
   with the reason. The sender never sees a 500, so it never retries without end.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from core.db import db
from core.integrations import connections, history
from core.models import IntegrationDelivery
from core.phone import InvalidPhone, to_e164
from core.sending.webhooks import public_url
from hooks.integrations import Integration, IntegrationRequest

log = logging.getLogger(__name__)
blueprint = Blueprint("integration_hooks", __name__)
MAX_BODY = 1024 * 1024  # a large Shopify order is a few hundred KB
EXCERPT = 1024
MAX_HEADERS, MAX_HEADER_VALUE = 60, 1024
SKIPPED_HEADERS = ("cookie", "authorization")


@blueprint.url_value_preprocessor
def _limit_body(_endpoint: str | None, _values: dict | None) -> None:
    request.max_content_length = MAX_BODY + 1


@blueprint.post("/hooks/integrations/<name>/<route>")
def receive(name: str, route: str) -> Response:
    integration = current_app.extensions["consentdesk"].integrations.get(name)
    if integration is None or route not in integration.routes:
        abort(404)
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        body = None
    if body is None or len(body) > MAX_BODY:
        return _answer(413, f"request body larger than {MAX_BODY} bytes")
    delivery = IntegrationRequest(route=route, url=public_url(current_app),
                                  method=request.method, headers=dict(request.headers),
                                  body=body, query=request.args.to_dict())
    try:
        status, text = intake(current_app, integration, delivery)
    except SQLAlchemyError:
        log.exception("%s delivery could not be stored", name)
        return _answer(503, "cannot store the delivery now; send it again")
    return _answer(status, text)


@blueprint.get("/hooks/integrations/<name>/status")
def status(name: str) -> Response:
    """A person's consent status and recent history for the other system's sidebar, behind
    the connection's own bearer token (compared in constant time)."""
    integration = current_app.extensions["consentdesk"].integrations.get(name)
    if integration is None or not integration.status_token_field:
        abort(404)
    with db.sessionmaker() as session:
        connection = connections.find(session, name)
        try:
            settings = connections.settings_of(current_app, connection) if connection else {}
        except connections.SecretsUnreadable:
            settings = {}
        token = settings.get(integration.status_token_field) or ""
        given = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not token or not connection.enabled or not hmac.compare_digest(
                token.encode(), given.encode()):
            return _answer(401, "a valid bearer token is needed")
        try:
            phone = to_e164(request.args.get("phone", ""))
        except InvalidPhone as error:
            return _answer(400, str(error))
        return jsonify(history.status(session, current_app, phone))


def _answer(status: int, text: str) -> Response:
    response = jsonify({"status": status, "message": text})
    response.status_code = status
    return response


def intake(app: Flask, integration: Integration, delivery: IntegrationRequest) -> tuple[int, str]:
    refusal, settings = _check(app, integration, delivery)
    digest = hashlib.sha256(delivery.body).hexdigest()
    row = dict(integration=integration.name, route=delivery.route, url=delivery.url[:1000],
               headers=_headers(delivery), body_size=len(delivery.body), body_sha256=digest,
               topic=_safe_topic(integration, delivery))
    with db.sessionmaker() as session, session.begin():
        if refusal:
            session.add(IntegrationDelivery(**row, body=delivery.body[:EXCERPT],
                                            status="rejected", outcome=refusal))
            return 401, refusal
        event_id = (_safe_event_id(integration, delivery) or f"sha256:{digest}")[:200]
        try:
            with session.begin_nested():
                stored = IntegrationDelivery(**row, event_id=event_id, body=delivery.body,
                                             status="queued")
                session.add(stored)
        except IntegrityError:
            session.execute(sa.update(IntegrationDelivery).where(
                IntegrationDelivery.integration == integration.name,
                IntegrationDelivery.event_id == event_id)
                .values(redeliveries=IntegrationDelivery.redeliveries + 1))
            return 200, f"event {event_id} already received; not processed again"
        session.flush()
        delivery_id = stored.id
    submit(app, delivery_id)
    return 200, f"received as delivery {delivery_id}"


def _check(app: Flask, integration: Integration,
           delivery: IntegrationRequest) -> tuple[str | None, dict]:
    """Why the delivery is refused (None: it is not), and the connection's settings."""
    with db.sessionmaker() as session:
        connection = connections.find(session, integration.name)
        if connection is None or not connection.enabled:
            return f"{integration.label} is not connected in Consentdesk", {}
        try:
            settings = connections.settings_of(app, connection)
        except connections.SecretsUnreadable as error:
            return str(error), {}
    try:
        verified = bool(integration.verify(delivery, settings))
    except Exception:  # noqa: BLE001 - a verifier that crashes refuses the delivery
        log.warning("%s: signature check raised; delivery refused", integration.name,
                    exc_info=True)
        verified = False
    if not verified:
        return "the signature is missing or does not match", settings
    try:
        signed = integration.signed_at(delivery)
    except Exception:  # noqa: BLE001
        return "the signed timestamp cannot be read", settings
    if signed is not None:
        skew = abs((datetime.now(UTC) - signed).total_seconds())
        if skew > integration.tolerance:
            return (f"the signed timestamp is {int(skew)} s away from this server's clock "
                    f"(at most {integration.tolerance} s): a replay or a wrong clock"), settings
    return None, settings


def _safe_event_id(integration: Integration, delivery: IntegrationRequest) -> str | None:
    try:
        found = integration.event_id(delivery)
    except Exception:  # noqa: BLE001 - the body's hash stands in
        return None
    return str(found) if found else None


def _safe_topic(integration: Integration, delivery: IntegrationRequest) -> str | None:
    try:
        return str(integration.topic(delivery))[:100]
    except Exception:  # noqa: BLE001
        return None


def _headers(delivery: IntegrationRequest) -> dict[str, str]:
    return {key[:100]: str(value)[:MAX_HEADER_VALUE]
            for key, value in list(delivery.headers.items())[:MAX_HEADERS]
            if key.lower() not in SKIPPED_HEADERS}


def submit(app: Flask, delivery_id: int) -> None:
    app.extensions["consentdesk"].integration_task(delivery_id)


def init_integration_tasks(app: Flask) -> None:
    """The queue task that maps a stored delivery (on the sending queue's Huey)."""
    huey = app.extensions["consentdesk"].queue.huey

    @huey.task(name="consentdesk.integration", retries=3, retry_delay=30)
    def integration_task(delivery_id: int) -> str:
        from core.integrations.process import process

        with app.app_context():
            return process(app, delivery_id)

    app.extensions["consentdesk"].integration_task = integration_task


def replay(app: Flask, delivery_id: int) -> None:
    """Run a stored, verified delivery's mapping again (an admin fixed what made it fail)."""
    with db.sessionmaker() as session, session.begin():
        delivery = session.get(IntegrationDelivery, delivery_id)
        if delivery is None or delivery.status not in ("failed", "ignored"):
            raise ValueError("only a verified delivery that failed or was ignored can be "
                             "replayed; a refused one was never trusted, a processed one is "
                             "done")
        delivery.status, delivery.processed_at = "queued", None
    submit(app, delivery_id)

