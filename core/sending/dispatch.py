"""The dispatcher: outbox rows to the gate (again) to a provider, each text at most once.

One call handles one batch of message ids in three steps, none holding a transaction
across a network call:

1. **claim** (``core.sending.claim``): re-run the gate for every due row, apply the
   senders' throughput limits, and mark the survivors ``sending`` before any provider is
   called; a row is claimed by one worker only.
2. **send**: hand each text to its provider. Before each call the consent chain head is
   read; if any opt-out was recorded since the claim, the texts to those people are
   released and judged again instead of sent.
3. **record** (a transaction every ``RECORD_EVERY`` texts): the provider's id and status,
   or the failure: retried with backoff, dead-lettered, or failed; a refusal whose code the
   provider declares (``error_outcomes``) records an opt-out or marks the number unreachable.

A crash between a provider accepting a text and step 3 leaves the row ``sending``;
``recover`` asks the provider about it before anything is resent.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, selectinload

from core.db import READ_ONLY, db, utcnow
from core.models import ConsentEvent, Message
from core.models.guard import allow_writes
from core.sending import outcomes
from core.sending.claim import UNCERTAIN, Claimed, claim, text_for
from hooks.providers import (
    OPTED_OUT,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    SendResult,
    TemporaryFailure,
)

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
SENDING_LEASE = timedelta(minutes=15)  # longer than any batch takes to send
RECORD_EVERY = 100
HEAD_SQL = "SELECT seq FROM consent_chain_head"


@dataclass(frozen=True)
class Attempt:
    claimed: Claimed
    result: SendResult | None = None
    error: Exception | None = None


def dispatch(app: Flask, ids: Sequence[int], now: datetime | None = None,
             depth: int = 0) -> Counter:
    """Send what is due among ``ids``; safe to run twice, or in two workers, with the same ids.

    Returns counts by outcome (``sent``, ``blocked``, ``deferred``, ``paused``, ``retry``,
    ``failed``, ``dead``, ``released``). Rows already handled are skipped silently.
    """
    now = now or utcnow()
    tally: Counter = Counter()
    later: list[tuple[int, datetime]] = []
    claimed, head_seq, rejudge = claim(app, ids, now, tally, later)
    released = send(app, claimed, head_seq, tally, now, later)
    again = rejudge + released
    if again and depth < 3:  # consent changed meanwhile: judge those people again
        tally.update(dispatch(app, again, now, depth + 1))
    _schedule(app, later)
    return tally


def _schedule(app: Flask, later: list[tuple[int, datetime]]) -> None:
    """Tasks for the rows that wait (retries, quiet hours, paused senders), at their time."""
    queue = app.extensions["consentdesk"].queue
    by_time: dict[datetime, list[int]] = {}
    for message_id, at in later:
        by_time.setdefault(at, []).append(message_id)
    for at, ids in by_time.items():
        queue.submit(ids, eta=at)


def _dead(message: Message, why: str) -> None:
    message.status, message.last_error = "dead", why


def send(app: Flask, claimed: list[Claimed], head_seq: int, tally: Counter,
         now: datetime, later: list[tuple[int, datetime]]) -> list[int]:
    """Hand the claimed texts to their providers; return the ids released for a re-check."""
    providers = app.extensions["consentdesk"].providers
    attempts: list[Attempt] = []
    released: list[int] = []
    stopped: set[int] = set()
    with db.engine.connect().execution_options(**{READ_ONLY: True}) as reader:
        # The head is read before every send, so it goes straight to the driver: on SQLite
        # (autocommit reads) and PostgreSQL (read committed) each read sees the latest commit.
        cursor = reader.connection.dbapi_connection.cursor()
        for position, item in enumerate(claimed):
            cursor.execute(HEAD_SQL)
            row = cursor.fetchone()
            seq = row[0] if row else 0
            if seq != head_seq:
                stopped |= _opted_out_since(reader, head_seq, claimed[position:])
                head_seq = seq
                reader.rollback()
            if item.contact_id in stopped:
                released.append(item.message_id)
                continue
            attempts.append(_attempt(providers[item.provider], item))
            if len(attempts) >= RECORD_EVERY:
                record(app, attempts, tally, now, later)
                attempts = []
        cursor.close()
        reader.rollback()
    record(app, attempts, tally, now, later)
    if released:
        _release(released)
        tally["released"] += len(released)
    return released


def _opted_out_since(reader: sa.Connection, seq: int, remaining: Iterable[Claimed]) -> set[int]:
    contact_ids = {c.contact_id for c in remaining}
    changed = reader.scalars(sa.select(ConsentEvent.contact_id).where(
        ConsentEvent.seq > seq, ConsentEvent.action == "opt_out",
        ConsentEvent.contact_id.in_(contact_ids)))
    return set(changed)


def _attempt(provider: Provider, item: Claimed) -> Attempt:
    try:
        if item.reconcile_first and provider.capabilities.can_reconcile:
            found = provider.find_sent(item.text)
            if found is not None:
                return Attempt(item, result=found)
        return Attempt(item, result=provider.send(item.text))
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
        return Attempt(item, error=error)


def _release(ids: list[int]) -> None:
    with db.sessionmaker() as session, session.begin():
        session.execute(sa.update(Message).where(Message.id.in_(ids), Message.status == "sending")
                        .values(status="queued", attempts=Message.attempts - 1))


def record(app: Flask, attempts: list[Attempt], tally: Counter, now: datetime,
           later: list[tuple[int, datetime]]) -> None:
    """Write the outcome of each attempt; a delivery receipt that came first is kept."""
    if not attempts:
        return
    done = [a for a in attempts if a.result is not None]
    failed = [a for a in attempts if a.result is None]
    with db.sessionmaker() as session, session.begin():
        if done:
            session.connection().execute(
                sa.update(Message.__table__)
                .where(Message.__table__.c.id == sa.bindparam("message_id"))
                .values(provider_message_id=sa.bindparam("provider_id"),
                        phone=sa.bindparam("to"),  # the number the gate judged and we texted
                        status=sa.case((Message.__table__.c.status == "sending",
                                        sa.bindparam("new_status")),
                                       else_=Message.__table__.c.status),
                        error_code=None, last_error=None, updated_at=now),
                [{"message_id": a.claimed.message_id, "provider_id": a.result.provider_message_id,
                  "new_status": a.result.status, "to": a.claimed.text.to} for a in done])
            tally["sent"] += len(done)
        for attempt in failed:
            message = session.get(Message, attempt.claimed.message_id)
            tally[_failure(app, session, message, attempt.error, now)] += 1
            if message.status == "queued":
                later.append((message.id, message.send_after))


def _failure(app: Flask, session: Session, message: Message, error: Exception,
             now: datetime) -> str:
    message.last_error = f"{type(error).__name__}: {error}"
    message.error_code = getattr(error, "code", None)
    provider = app.extensions["consentdesk"].providers[message.provider]
    if isinstance(error, PermanentFailure):
        message.status = "failed"
        outcomes.apply(app, session, provider, message, message.error_code, now,
                       "refused when sent",
                       OPTED_OUT if isinstance(error, RecipientOptedOut) else None)
        return "failed"
    uncertain = not isinstance(error, TemporaryFailure) or error.uncertain
    if uncertain and not provider.capabilities.can_reconcile:
        message.status = "dead"
        message.last_error = (f"{message.last_error} — the provider may have accepted it and "
                              "cannot be asked, so it is not resent automatically")
        return "dead"
    if uncertain:
        message.error_code = UNCERTAIN
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "dead"
        return "dead"
    message.status, message.send_after = "queued", now + backoff(message.attempts)
    return "retry"


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 30 s, 1 min, 2 min... capped at an hour."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return ceiling * random.uniform(0.5, 1.0)


def recover(app: Flask, now: datetime | None = None,
            lease: timedelta = SENDING_LEASE) -> Counter:
    """Settle rows left ``sending`` by a crash: ask the provider before anything is resent."""
    now = now or utcnow()
    tally: Counter = Counter()
    providers = app.extensions["consentdesk"].providers
    with db.sessionmaker() as session, session.begin():
        stuck = session.scalars(sa.select(Message).where(
            Message.status == "sending", Message.dispatched_at < now - lease)
            .options(selectinload(Message.sender))).all()
        for message in stuck:
            provider = providers.get(message.provider or "")
            if provider is None or not provider.capabilities.can_reconcile:
                _dead(message, "left sending by a crash; the provider cannot say whether it "
                               "was sent, so it is not resent automatically")
                tally["dead"] += 1
                continue
            text = text_for(app, message.id, message.idempotency_key, message.phone,
                            message.sender.address, message.body, provider.name,
                            message.dispatched_at)
            try:
                found = provider.find_sent(text)
            except Exception as error:  # noqa: BLE001 - try again at the next sweep
                message.last_error = f"reconcile failed: {error}"
                tally["unknown"] += 1
                continue
            if found is not None:
                with allow_writes(session, "Message.provider_message_id"):
                    message.status = found.status
                    message.provider_message_id = found.provider_message_id
                    session.flush()
                tally["found"] += 1
            else:
                message.status = "queued"  # never reached the provider: the gate judges it again
                tally["requeued"] += 1
    return tally


def retry_dead(session: Session, ids: Iterable[int]) -> list[int]:
    """An admin's "retry": dead rows go back to the queue with a fresh attempt count."""
    rows = session.scalars(sa.select(Message).where(Message.id.in_(list(ids)),
                                                    Message.status == "dead")).all()
    for message in rows:
        message.status, message.attempts, message.send_after = "queued", 0, None
        message.error_code = None
    return [m.id for m in rows]
