"""The task queue behind sending: Huey, with the outbox rows as the source of truth.

A task carries a batch of message ids, never one message (SqliteHuey runs a couple of
thousand tasks a second; the dispatcher far more messages). Tasks are idempotent: the
dispatcher only claims rows still due, so a task run twice, or by two workers, sends
nothing twice. A lost task loses nothing either: ``sweep`` (every minute in the worker)
re-submits every due row and settles rows a crash left ``sending`` (``core.worker`` runs it
with the other periodic jobs).

``QUEUE_URL`` picks the storage: ``sqlite:///file`` (default, no server), ``redis://...``
(many workers on many machines), ``memory`` (tasks wait in this process until
``run_pending``) or ``immediate`` (tasks run as they are submitted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.models import Message
from core.sending import dispatch as dispatcher
from core.sending.claim import CLAIMABLE
from core.settings import private_sqlite_file

PENDING = "consentdesk_dispatch"  # session.info key: ids to submit once the transaction commits
# The sweep re-submits rows whose task should long have run: a lost task is rare, and a sweep
# during a large send must not hand the same rows to the workers twice.
STALE = timedelta(minutes=5)
LATE = timedelta(minutes=1)  # a deferred row this far past its time


class SendQueue:
    """Submit message ids for dispatch; the one interface the rest of the core uses."""

    def __init__(self, app: Flask, huey: Huey):
        self.app, self.huey = app, huey
        self.batch = int(app.config.get("DISPATCH_BATCH") or 500)

        @huey.task(name="consentdesk.dispatch")
        def dispatch_task(ids: list[int]) -> dict[str, int]:
            with app.app_context():
                return dict(dispatcher.dispatch(app, ids))

        self._dispatch = dispatch_task

    def submit(self, ids: Sequence[int], eta: datetime | None = None) -> None:
        ids = list(ids)
        for start in range(0, len(ids), self.batch):
            part = ids[start:start + self.batch]
            if eta is not None and eta > utcnow():
                self._dispatch.schedule((part,), eta=eta)
            else:
                self._dispatch(part)

    def resubmit_due(self, now: datetime) -> int:
        """Settle crashed sends and re-submit every due row whose task was lost."""
        dispatcher.recover(self.app, now)
        with db.sessionmaker() as session:
            due = list(session.scalars(sa.select(Message.id).where(
                Message.direction == "out", Message.status.in_(CLAIMABLE),
                sa.or_(Message.send_after <= now - LATE,
                       sa.and_(Message.send_after.is_(None),
                               Message.updated_at <= now - STALE)))
                .order_by(Message.id)))
        self.submit(due)
        return len(due)

    def run_pending(self) -> int:
        """Run the tasks waiting in a ``memory`` queue in this process (tests, the demo seed)."""
        ran = 0
        while (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            ran += 1
        return ran


def make_huey(app: Flask) -> Huey:
    url = app.config.get("QUEUE_URL") or f"sqlite:///{Path(app.instance_path) / 'queue.db'}"
    if url == "immediate":
        return MemoryHuey("consentdesk", immediate=True)
    if url == "memory":
        return MemoryHuey("consentdesk")
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
        private_sqlite_file(url)
        return SqliteHuey("consentdesk", filename=filename)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("consentdesk", url=url)
    raise ValueError(f"CONSENTDESK_QUEUE_URL: unsupported queue {url!r}")


def init_queue(app: Flask) -> SendQueue:
    return SendQueue(app, make_huey(app))


def submit_after_commit(session: Session, messages: Iterable[Message]) -> None:
    """Hand these outbox rows to the queue once (and only if) their transaction commits."""
    submit_rows_after_commit(session, [(m.id, m.send_after) for m in messages
                                       if m.status in CLAIMABLE])


def submit_rows_after_commit(session: Session, rows: Iterable[tuple[int, datetime | None]]) -> None:
    """The same for (message id, send_after) pairs written without the ORM."""
    session.info.setdefault(PENDING, []).extend(rows)


@sa.event.listens_for(Session, "after_commit")
def _submit_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending or not has_app_context():
        return  # without an app the sweep picks them up
    queue = current_app.extensions["consentdesk"].queue
    by_eta: dict[datetime | None, list[int]] = {}
    for message_id, eta in pending:
        by_eta.setdefault(eta, []).append(message_id)
    for eta, ids in by_eta.items():
        queue.submit(ids, eta=eta)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous) -> None:
    session.info.pop(PENDING, None)
