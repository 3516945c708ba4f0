"""Consentdesk events forwarded to connected systems (a CRM, an analytics tool).

``emit`` writes one ``outgoing_webhook`` row per connection that asked for the event, in the
same transaction as the event itself (a transactional outbox: a rolled-back opt-in forwards
nothing, a committed one cannot be lost). Once committed, the queue sends it through the
integration's ``forward`` (which signs it) with httpx; a network error, a timeout or a non-2xx
answer is retried with backoff (1, 2, 4 ... 64 minutes: eight attempts over about two hours),
then the row is marked failed. The sweep sends rows whose task was lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.integrations import connections, jsonable
from core.models import IntegrationConnection, OutgoingWebhook
from hooks.integrations import FORWARDABLE, Integration, OutgoingEvent

log = logging.getLogger(__name__)
ATTEMPTS = 8
TIMEOUT = 10.0
PENDING = "consentdesk.outgoing_pending"
CACHE_SECONDS = 30
LOST = timedelta(minutes=2)  # a pending row this long past due lost its task


def _wanted(app: Flask, target: Any) -> dict[str, list[str]]:
    """kind -> connections that forward it; cached per process until a connection changes. Read
    through ``target``, the writer's own Session or Connection (on SQLite another one would
    wait for the writer's lock). Another process's change is seen within ``CACHE_SECONDS``."""
    found = app.extensions["consentdesk"].forwarding
    if found is not None and time.monotonic() - found[0] < CACHE_SECONDS:
        return found[1]
    integrations = app.extensions["consentdesk"].integrations
    wanted: dict[str, list[str]] = {}
    candidates = [name for name, i in integrations.items()
                  if type(i).forwards is not Integration.forwards]
    if candidates:
        rows = target.execute(sa.select(
            IntegrationConnection.name, IntegrationConnection.settings,
            IntegrationConnection.secrets).where(
            IntegrationConnection.name.in_(candidates),
            IntegrationConnection.enabled.is_(True))).all()
        for name, settings, secrets in rows:
            try:
                values = {**(settings or {}), **connections.decrypt(app, secrets)}
            except connections.SecretsUnreadable:
                continue
            for kind in integrations[name].forwards(values):
                if kind in FORWARDABLE:
                    wanted.setdefault(kind, []).append(name)
    app.extensions["consentdesk"].forwarding = (time.monotonic(), wanted)
    return wanted


def forget_connections(app: Flask) -> None:
    """A connection was saved or removed: read who forwards what again."""
    app.extensions["consentdesk"].forwarding = None


def emit(target: Any, kind: str,
         payload: dict[str, Any] | Callable[[], dict[str, Any]]) -> bool:
    """Queue ``kind`` for every connection that forwards it; ``target`` is the Session or
    Connection writing the event, so the row commits (or not) with it. ``payload`` may be a
    function, called only when someone forwards the event (a click costs no extra query
    otherwise). True when rows were written: a Connection's writer submits them after its
    commit (``submit_due``); a Session's are submitted when it commits."""
    if not has_app_context():
        return False
    names = _wanted(current_app, target).get(kind)
    if not names:
        return False
    if callable(payload):
        payload = payload()
    now = utcnow()
    rows = [{"integration": name, "kind": kind, "payload": jsonable(payload), "status": "pending",
             "attempts": 0, "next_at": now, "created_at": now} for name in names]
    if isinstance(target, Session):
        for row in rows:
            target.add(OutgoingWebhook(**row))
        target.info[PENDING] = True
    else:
        target.execute(sa.insert(OutgoingWebhook), rows)
    return True


@sa.event.listens_for(Session, "after_commit")
def _submit_after_commit(session: Session) -> None:
    if session.info.pop(PENDING, None) and has_app_context():
        submit_due(current_app)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING, None)


def submit_due(app: Flask, now: datetime | None = None) -> int:
    """Hand every due pending row to the queue (after a commit, and from the sweep)."""
    now = now or utcnow()
    with db.sessionmaker() as session:
        ids = list(session.scalars(sa.select(OutgoingWebhook.id).where(
            OutgoingWebhook.status == "pending", OutgoingWebhook.next_at <= now)
            .order_by(OutgoingWebhook.id).limit(500)))
    task = app.extensions["consentdesk"].outgoing_task
    for outgoing_id in ids:
        task(outgoing_id)
    return len(ids)


def send(app: Flask, outgoing_id: int, client: httpx.Client | None = None) -> str:
    """One attempt; on failure the row waits for its next try.

    The row is claimed in a short transaction (its next try moved to after this attempt's
    backoff, so a second task for it finds it not due), the POST goes out with no
    transaction open (a slow receiver never holds the database's write lock), and the answer
    is recorded in another short transaction."""
    integrations = app.extensions["consentdesk"].integrations
    with db.sessionmaker() as session, session.begin():
        row = session.get(OutgoingWebhook, outgoing_id, with_for_update=True)
        if row is None or row.status != "pending" or (row.next_at and row.next_at > utcnow()):
            return "not due"
        integration = integrations.get(row.integration)
        connection = connections.find(session, row.integration)
        if integration is None or connection is None or not connection.enabled:
            row.status, row.last_error = "failed", "the integration is no longer connected"
            return row.last_error
        event = OutgoingEvent(row.id, row.kind, dict(row.payload), row.created_at)
        request = integration.forward(event, connections.settings_of(app, connection))
        if request is None:
            row.status, row.last_error = "skipped", "nothing to send to this system for it"
            return row.last_error
        row.attempts += 1
        row.next_at = utcnow() + timedelta(minutes=2 ** (row.attempts - 1))
        attempts, retry_at = row.attempts, row.next_at
    status = None
    try:
        with (client or httpx.Client(timeout=TIMEOUT)) as http:
            answer = http.post(request.url, content=request.body, headers=dict(request.headers))
        status = answer.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}: {answer.text[:300]}"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"
    with db.sessionmaker() as session, session.begin():
        row = session.get(OutgoingWebhook, outgoing_id)
        row.response_status, row.last_error = status, error
        if error is None:
            row.status, row.sent_at, row.next_at = "sent", utcnow(), None
            return "sent"
        if attempts >= ATTEMPTS:
            row.status, row.next_at = "failed", None
            return f"failed for good: {error}"
    app.extensions["consentdesk"].outgoing_task.schedule((outgoing_id,), eta=retry_at)
    return f"will retry at {retry_at:%H:%M}: {error}"


def retry_lost(app: Flask, now: datetime | None = None) -> int:
    """The sweep: rows past due by more than ``LOST`` lost their task; send them again."""
    return submit_due(app, (now or utcnow()) - LOST)


def init_outgoing_task(app: Flask) -> None:
    huey = app.extensions["consentdesk"].queue.huey

    @huey.task(name="consentdesk.outgoing_webhook")
    def outgoing_task(outgoing_id: int) -> str:
        with app.app_context():
            return send(app, outgoing_id)

    app.extensions["consentdesk"].outgoing_task = outgoing_task
