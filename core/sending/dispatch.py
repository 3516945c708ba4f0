"""The dispatcher: outbox rows to the gate (again) to a provider, each text at most once.

One call handles one batch of message ids in three steps, none holding a transaction
across a network call:

1. **claim** (one transaction): re-run the gate for every claimable row, apply the
   senders' throughput limits, and mark the survivors ``sending`` before any provider
   is called. On PostgreSQL the claim holds a share lock on the consent chain head, so
   it waits for a STOP being written and then sees it; rows are locked ``SKIP LOCKED``,
   so two workers given the same ids claim each row once.
2. **send**: hand each text to its provider. Before each call the consent chain head is
   read; if any opt-out was recorded since the claim, the texts to those people are
   released and judged again instead of sent.
3. **record** (a transaction every ``RECORD_EVERY`` texts): the provider's id and status,
   or the failure: retried with backoff, dead-lettered, failed, or an opt-out recorded.

A crash between a provider accepting a text and step 3 leaves the row ``sending``;
``recover`` asks the provider about it before anything is resent.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, selectinload

from core.consent import Evidence, app_ledger
from core.db import READ_ONLY, db, utcnow
from core.gate.check import Outgoing, gate_for
from core.gate.facts import BatchFacts
from core.models import Campaign, ConsentChainHead, ConsentEvent, Contact, Message, Sender
from core.sending.outbox import record as record_verdict
from hooks.providers import (
    OutboundText,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    SendResult,
    TemporaryFailure,
)

CLAIMABLE = ("queued", "deferred")
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
SENDING_LEASE = timedelta(minutes=15)  # longer than any batch takes to send
RECORD_EVERY = 100
UNCERTAIN = "uncertain"
PACIFIC = ZoneInfo("America/Los_Angeles")  # T-Mobile's daily caps reset at midnight here


@dataclass(frozen=True)
class Claimed:
    message_id: int
    contact_id: int
    provider: str
    text: OutboundText
    reconcile_first: bool


@dataclass(frozen=True)
class Attempt:
    claimed: Claimed
    result: SendResult | None = None
    error: Exception | None = None


def dispatch(app: Flask, ids: Sequence[int], now: datetime | None = None) -> Counter:
    """Send what is due among ``ids``; safe to run twice, or in two workers, with the same ids.

    Returns counts by outcome (``sent``, ``blocked``, ``deferred``, ``paused``, ``retry``,
    ``failed``, ``dead``, ``released``). Rows already handled are skipped silently.
    """
    now = now or utcnow()
    tally: Counter = Counter()
    claimed, head_seq = claim(app, ids, now, tally)
    released = send(app, claimed, head_seq, tally, now)
    if released:
        tally.update(dispatch(app, released, now))
    return tally


def claim(app: Flask, ids: Sequence[int], now: datetime,
          tally: Counter) -> tuple[list[Claimed], int]:
    providers = app.extensions["consentdesk"].providers
    gate = gate_for(app)
    with db.sessionmaker() as session, session.begin():
        head_seq = _consent_head(session, share_lock=True)
        messages = _claimable(session, ids, now)
        if not messages:
            return [], head_seq
        facts = BatchFacts(session, gate.suppression_key,
                           {m.contact.id: m.contact for m in messages if m.contact}.values(), now)
        allowed = []
        for message in messages:
            if message.contact is None or message.message_type is None:
                _dead(message, "the message has no contact or message type")
                tally["dead"] += 1
                continue
            decision = gate.check(session, _outgoing(message), now, facts)
            if decision.allowed:
                allowed.append(message)
            else:
                record_verdict(message, decision)
                tally[message.status] += 1
        claimed = []
        for message in _within_limits(session, allowed, now, tally):
            provider = providers.get(message.sender.provider)
            if provider is None:
                _dead(message, f"no provider named {message.sender.provider!r} is installed")
                tally["dead"] += 1
                continue
            claimed.append(_mark_sending(app, message, provider, now))
        return claimed, head_seq


def _claimable(session: Session, ids: Sequence[int], now: datetime) -> list[Message]:
    query = (
        sa.select(Message)
        .where(Message.id.in_(list(ids)), Message.direction == "out",
               Message.status.in_(CLAIMABLE),
               sa.or_(Message.send_after.is_(None), Message.send_after <= now))
        .order_by(Message.id)
        .options(selectinload(Message.contact), selectinload(Message.message_type),
                 selectinload(Message.sender),
                 selectinload(Message.campaign).selectinload(Campaign.brand))
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _outgoing(message: Message) -> Outgoing:
    brand = message.campaign.brand if message.campaign and not message.compliance_reply else None
    return Outgoing(contact=message.contact, message_type=message.message_type, body=message.body,
                    sender=message.sender, brand=brand, expires_at=message.expires_at,
                    compliance_reply=message.compliance_reply, exclude_message_id=message.id)


def _within_limits(session: Session, messages: list[Message], now: datetime,
                   tally: Counter) -> list[Message]:
    """The messages each sender may send now; the rest wait (``send_after``), still queued."""
    by_sender: dict[int, list[Message]] = {}
    for message in messages:
        by_sender.setdefault(message.sender_id, []).append(message)
    limited = [s for s in by_sender if _has_limits(by_sender[s][0].sender)]
    if limited and session.get_bind().dialect.name == "postgresql":
        # Serialise claims per sender so two workers cannot both spend the last slot.
        session.execute(sa.select(Sender.id).where(Sender.id.in_(sorted(limited)))
                        .order_by(Sender.id).with_for_update())
    within = []
    for group in by_sender.values():
        room, resume = _room(session, group[0].sender, now, len(group))
        within += group[:room]
        for message in group[room:]:
            message.status, message.send_after = "queued", resume
            tally["paused"] += 1
    return within


def _has_limits(sender: Sender) -> bool:
    return any((sender.per_second, sender.per_minute, sender.daily_cap))


def _room(session: Session, sender: Sender, now: datetime,
          wanted: int) -> tuple[int, datetime | None]:
    """How many of ``wanted`` texts ``sender`` may start now, and when the rest may go."""
    if not _has_limits(sender):
        return 1 << 30, None
    midnight = now.astimezone(PACIFIC).replace(hour=0, minute=0, second=0, microsecond=0)
    windows = [(sender.per_second, now - timedelta(seconds=1), now + timedelta(seconds=1)),
               (sender.per_minute, now - timedelta(minutes=1), now + timedelta(minutes=1)),
               (sender.daily_cap, midnight, _next_midnight(midnight))]
    room, resume = 1 << 30, None
    for limit, since, frees_at in windows:
        if not limit:
            continue
        used = session.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.sender_id == sender.id, Message.dispatched_at > since))
        left = max(0, limit - used)
        room = min(room, left)
        if left < wanted:
            resume = max(resume, frees_at) if resume else frees_at
    return room, resume


def _next_midnight(midnight: datetime) -> datetime:
    # Add a calendar day in local time (23 or 25 hours across a DST change).
    return (midnight.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=PACIFIC)


def _mark_sending(app: Flask, message: Message, provider: Provider, now: datetime) -> Claimed:
    reconcile_first = message.error_code == UNCERTAIN
    message.phone = message.contact.phone
    message.status, message.dispatched_at, message.provider = "sending", now, provider.name
    message.attempts += 1
    text = OutboundText(key=message.idempotency_key or f"message:{message.id}",
                        to=message.phone, from_=message.sender.address, body=message.body,
                        status_url=status_url(app, provider.name, message.id),
                        sending_since=now)
    return Claimed(message.id, message.contact_id, provider.name, text, reconcile_first)


def status_url(app: Flask, provider: str, message_id: int) -> str | None:
    base = app.config.get("PUBLIC_URL")
    if not base:
        return None
    return f"{base.rstrip('/')}/hooks/providers/{provider}/status?message={message_id}"


def _dead(message: Message, why: str) -> None:
    message.status, message.last_error = "dead", why


def send(app: Flask, claimed: list[Claimed], head_seq: int, tally: Counter,
         now: datetime) -> list[int]:
    """Hand the claimed texts to their providers; return the ids released for a re-check."""
    providers = app.extensions["consentdesk"].providers
    attempts: list[Attempt] = []
    released: list[int] = []
    stopped: set[int] = set()
    with db.engine.connect().execution_options(**{READ_ONLY: True}) as reader:
        for position, item in enumerate(claimed):
            seq = reader.scalar(sa.select(ConsentChainHead.seq)) or 0
            if seq != head_seq:
                stopped |= _opted_out_since(reader, head_seq, claimed[position:])
                head_seq = seq
            reader.rollback()
            if item.contact_id in stopped:
                released.append(item.message_id)
                continue
            attempts.append(_attempt(providers[item.provider], item))
            if len(attempts) >= RECORD_EVERY:
                record(app, attempts, tally, now)
                attempts = []
    record(app, attempts, tally, now)
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


def record(app: Flask, attempts: list[Attempt], tally: Counter, now: datetime) -> None:
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
                        status=sa.case((Message.__table__.c.status == "sending",
                                        sa.bindparam("new_status")),
                                       else_=Message.__table__.c.status),
                        error_code=None, last_error=None, updated_at=now),
                [{"message_id": a.claimed.message_id, "provider_id": a.result.provider_message_id,
                  "new_status": a.result.status} for a in done])
            tally["sent"] += len(done)
        for attempt in failed:
            message = session.get(Message, attempt.claimed.message_id)
            tally[_failure(app, session, message, attempt.error, now)] += 1


def _failure(app: Flask, session: Session, message: Message, error: Exception,
             now: datetime) -> str:
    message.last_error = f"{type(error).__name__}: {error}"
    message.error_code = getattr(error, "code", None)
    if isinstance(error, RecipientOptedOut):
        message.status = "failed"
        _record_provider_opt_out(app, session, message, error, now)
        return "failed"
    if isinstance(error, PermanentFailure):
        message.status = "failed"
        return "failed"
    uncertain = not isinstance(error, TemporaryFailure) or error.uncertain
    provider = app.extensions["consentdesk"].providers[message.provider]
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


def _record_provider_opt_out(app: Flask, session: Session, message: Message,
                             error: RecipientOptedOut, now: datetime) -> None:
    contact = session.get(Contact, message.contact_id)
    app_ledger(app, session).opt_out(
        contact, None, source="provider", occurred_at=now,
        actor=f"{message.provider} refused the send ({error.code})",
        source_detail=str(error), campaign_id=message.campaign_id,
        evidence=Evidence(provider_message_id=message.provider_message_id))


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
            text = OutboundText(key=message.idempotency_key or f"message:{message.id}",
                                to=message.phone, from_=message.sender.address,
                                body=message.body, sending_since=message.dispatched_at)
            try:
                found = provider.find_sent(text)
            except Exception as error:  # noqa: BLE001 - try again at the next sweep
                message.last_error = f"reconcile failed: {error}"
                tally["unknown"] += 1
                continue
            if found is not None:
                message.status, message.provider_message_id = found.status, found.provider_message_id
                tally["found"] += 1
            else:
                message.status = "queued"  # never reached the provider: the gate judges it again
                tally["requeued"] += 1
    return tally


def _consent_head(session: Session, share_lock: bool) -> int:
    query = sa.select(ConsentChainHead.seq)
    if share_lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return session.scalar(query) or 0


def retry_dead(session: Session, ids: Iterable[int]) -> list[int]:
    """An admin's "retry": dead rows go back to the queue with a fresh attempt count."""
    rows = session.scalars(sa.select(Message).where(Message.id.in_(list(ids)),
                                                    Message.status == "dead")).all()
    for message in rows:
        message.status, message.attempts, message.send_after = "queued", 0, None
        message.error_code = None
    return [m.id for m in rows]
