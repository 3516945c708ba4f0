"""Claiming a batch: the gate judges outside the write lock, the claim is short and checked.

1. **judge** (a read-only transaction): load the due rows, their contacts and the gate's
   facts in a few set-based queries, and run the gate on each. On SQLite this takes no
   write lock, so several workers judge batches at once.
2. **claim** (one short write transaction): if any consent event was recorded since the
   judging began, the rows of the people concerned are left for another pass. Then the
   verdicts are written and the rest marked ``sending`` with ``UPDATE ... WHERE status IN ('queued', 'deferred') RETURNING id``, so
   a row another worker took meanwhile is simply not returned. On PostgreSQL the claim
   holds a share lock on the consent chain head, so it waits for a STOP being written.

The senders' throughput limits are applied later, as each text is handed over
(``core.sending.pace``), so they hold to the second however long a batch takes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, selectinload

from core.db import READ_ONLY, db, one_of
from core.gate.check import Decision, Outgoing, gate_for
from core.gate.facts import CHUNK, BatchFacts
from core.models import (
    Campaign,
    ConsentChainHead,
    ConsentEvent,
    Contact,
    Message,
    MessageType,
    Sender,
)
from core.sending.outbox import STATUS_FOR
from core.sending.pace import Limits
from hooks.providers import OutboundText

CLAIMABLE = ("queued", "deferred")
UNCERTAIN = "uncertain"
TABLE = Message.__table__


@dataclass(frozen=True)
class Claimed:
    message_id: int
    contact_id: int
    provider: str
    text: OutboundText
    reconcile_first: bool
    limits: Limits  # the sender's, held as the text is handed over
    open_until: datetime | None = None  # the recipient's quiet hours begin then


@dataclass
class Judged:
    row: Any  # the message's columns
    contact: Any  # the contact's columns
    sender: Sender | None
    decision: Decision | None  # None: cannot be judged (no contact or type)


def claim(app: Flask, ids: Sequence[int], now: datetime, tally: Counter,
          later: list[tuple[int, datetime]]) -> tuple[list[Claimed], int, list[int]]:
    """Claim what may be sent among ``ids``; return it, the consent head seen, and the ids
    left for another pass because consent changed while they were being judged. Rows that
    must wait (deferred, paused) are added to ``later`` with their time."""
    head_seq, judged = judge(app, ids, now)
    if not judged:
        return [], head_seq, []
    providers = app.extensions["consentdesk"].providers
    with db.sessionmaker() as session, session.begin():
        seq = _consent_head(session, share_lock=True)
        rejudge: list[int] = []
        if seq != head_seq:
            changed = _contacts_with_events_since(session, head_seq,
                                                  {j.row.contact_id for j in judged})
            rejudge = [j.row.id for j in judged if j.row.contact_id in changed]
            judged = [j for j in judged if j.row.contact_id not in changed]
            head_seq = seq
        verdicts, allowed = [], []
        for item in judged:
            if item.decision is None:
                verdicts.append(_values(item.row.id, "dead", last_error="the message has no "
                                        "contact or message type"))
            elif item.decision.allowed:
                allowed.append(item)
            else:
                decision = item.decision
                verdicts.append(_values(
                    item.row.id, STATUS_FOR.get(decision.outcome, "deferred"),
                    block_reasons=[f"{r.code}: {r.detail}" for r in decision.reasons],
                    send_after=decision.until))
        sendable = []
        for item in allowed:
            if item.sender.provider not in providers:
                verdicts.append(_values(item.row.id, "dead", last_error=(
                    f"no provider named {item.sender.provider!r} is installed")))
            else:
                sendable.append(item)
        _write_verdicts(session, verdicts, tally)
        later += [(v["message_id"], v["send_after"]) for v in verdicts
                  if v["send_after"] is not None and v["status"] in CLAIMABLE]
        claimed = _mark_sending(app, session, sendable, now)
    return claimed, head_seq, rejudge


def judge(app: Flask, ids: Sequence[int], now: datetime) -> tuple[int, list[Judged]]:
    gate = gate_for(app)
    with db.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        session = Session(bind=connection)
        head_seq = _consent_head(session, share_lock=False)
        rows = list(connection.execute(
            sa.select(TABLE.c.id, TABLE.c.contact_id, TABLE.c.message_type_id, TABLE.c.sender_id,
                      TABLE.c.campaign_id, TABLE.c.body, TABLE.c.expires_at,
                      TABLE.c.compliance_reply, TABLE.c.idempotency_key, TABLE.c.error_code)
            .where(one_of(connection, TABLE.c.id, ids), TABLE.c.direction == "out",
                   TABLE.c.status.in_(CLAIMABLE),
                   sa.or_(TABLE.c.send_after.is_(None), TABLE.c.send_after <= now))
            .order_by(TABLE.c.id)))
        if not rows:
            return head_seq, []
        contacts = _contacts(connection, {r.contact_id for r in rows if r.contact_id})
        types = {t.id: t for t in session.scalars(sa.select(MessageType))}
        senders = {s.id: s for s in session.scalars(
            sa.select(Sender).where(Sender.id.in_({r.sender_id for r in rows if r.sender_id})))}
        brands = {c.id: c.brand for c in session.scalars(
            sa.select(Campaign).where(Campaign.id.in_({r.campaign_id for r in rows
                                                       if r.campaign_id}))
            .options(selectinload(Campaign.brand)))}
        facts = BatchFacts(connection, gate.suppression_key, contacts.values(), now)
        judged = []
        for row in rows:
            contact, kind = contacts.get(row.contact_id), types.get(row.message_type_id)
            sender = senders.get(row.sender_id)
            decision = None
            if contact is not None and kind is not None:
                brand = brands.get(row.campaign_id) if not row.compliance_reply else None
                decision = gate.check(session, Outgoing(
                    contact=contact, message_type=kind, body=row.body, sender=sender,
                    brand=brand, expires_at=row.expires_at,
                    compliance_reply=row.compliance_reply, exclude_message_id=row.id),
                    now, facts)
            judged.append(Judged(row, contact, sender, decision))
        session.close()
        connection.rollback()
    return head_seq, judged


def _contacts(connection: sa.Connection, ids: set[int]) -> dict[int, Any]:
    found, ordered = {}, sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        for row in connection.execute(
                sa.select(Contact.id, Contact.phone, Contact.phone_hmac, Contact.state,
                          Contact.timezone, Contact.attributes, Contact.erased_at,
                          Contact.undeliverable_at, Contact.undeliverable_code)
                .where(one_of(connection, Contact.id, ordered[start:start + CHUNK]))):
            found[row.id] = row
    return found


def _values(message_id: int, status: str, **fields: Any) -> dict[str, Any]:
    return {"message_id": message_id, "status": status, "block_reasons": [],
            "send_after": None, "last_error": None, **fields}


def _write_verdicts(session: Session, verdicts: list[dict[str, Any]], tally: Counter) -> None:
    """Blocked, deferred, paused and dead rows: only if no other worker took them meanwhile."""
    if not verdicts:
        return
    session.connection().execute(
        sa.update(TABLE)
        .where(TABLE.c.id == sa.bindparam("message_id"),
               sa.or_(*(TABLE.c.status == status for status in CLAIMABLE)))
        .values(status=sa.bindparam("status"), block_reasons=sa.bindparam("block_reasons"),
                send_after=sa.bindparam("send_after"), last_error=sa.bindparam("last_error")),
        verdicts)
    for verdict in verdicts:
        tally["paused" if verdict.get("paused") else verdict["status"]] += 1


def _mark_sending(app: Flask, session: Session, items: list[Judged],
                  now: datetime) -> list[Claimed]:
    if not items:
        return []
    by_provider: dict[str, list[int]] = {}
    for item in items:
        by_provider.setdefault(item.sender.provider, []).append(item.row.id)
    taken: set[int] = set()
    for provider, ids in by_provider.items():
        for start in range(0, len(ids), CHUNK):
            taken.update(session.connection().scalars(
                sa.update(TABLE)
                .where(one_of(session, TABLE.c.id, ids[start:start + CHUNK]),
                       TABLE.c.status.in_(CLAIMABLE))
                .values(status="sending", dispatched_at=now, provider=provider,
                        attempts=TABLE.c.attempts + 1, updated_at=now)
                .returning(TABLE.c.id)))
    return [Claimed(
        item.row.id, item.row.contact_id, item.sender.provider,
        text_for(app, item.row.id, item.row.idempotency_key, item.contact.phone,
                 item.sender.address, item.row.body, item.sender.provider, now),
        reconcile_first=item.row.error_code == UNCERTAIN, limits=Limits.of(item.sender),
        open_until=item.decision.open_until)
        for item in items if item.row.id in taken]


def text_for(app: Flask, message_id: int, key: str | None, to: str, from_: str, body: str,
             provider: str, since: datetime | None) -> OutboundText:
    """What a provider is given for a message (and asked about after a crash)."""
    return OutboundText(key=key or f"message:{message_id}", to=to, from_=from_, body=body,
                        status_url=status_url(app, provider, message_id), sending_since=since)


def status_url(app: Flask, provider: str, message_id: int) -> str | None:
    """Where the provider should post this message's receipts (it names the message)."""
    base = app.config.get("PUBLIC_URL")
    if not base:
        return None
    return f"{base.rstrip('/')}/hooks/providers/{provider}/status?message={message_id}"


def _consent_head(session: Session, share_lock: bool) -> int:
    query = sa.select(ConsentChainHead.seq)
    if share_lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return session.scalar(query) or 0


def _contacts_with_events_since(session: Session, seq: int, contact_ids: set[int]) -> set[int]:
    ordered, found = sorted(contact_ids), set()
    for start in range(0, len(ordered), CHUNK):
        found.update(session.scalars(sa.select(ConsentEvent.contact_id).where(
            ConsentEvent.seq > seq,
            one_of(session, ConsentEvent.contact_id, ordered[start:start + CHUNK]))))
    return found
