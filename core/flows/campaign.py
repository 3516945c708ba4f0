"""A send to a whole audience, set-based: one ``INSERT ... SELECT`` writes every text.

Eligibility is the gate's, in bulk: consent and suppression in the audience query; quiet
hours once per (time zone, state) group, which sets each row's ``send_after``; rendering,
segment counts and branded links in SQL (``core.flows.bulk``). Frequency caps, content
rules and a consent change after this moment are judged again per message by the
dispatcher (it re-runs the whole gate before anything goes out). Every row's idempotency
key names the flow, the send and the contact, so running the same send twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.db import UTCDateTime
from core.flows import audiences, bulk, links, templates
from core.models import Contact, Flow, Link, Message, Sender
from core.sending.queue import submit_rows_after_commit

KEY_DIGITS = 10  # contact ids in keys are zero-padded, so the key index grows at its end


@dataclass
class SendReport:
    audience: int = 0  # people the send is for (their texts were written now or before)
    queued: int = 0
    deferred: int = 0  # held for quiet hours or a local sending time
    blocked: dict[str, int] = field(default_factory=dict)  # reason -> people not texted
    already_sent: int = 0  # written by an earlier run of the same send


def send_now(session: Session, app: Flask, flow: Flow, send_key: str, at: datetime,
             local_time: time | None = None, payload: dict[str, Any] | None = None) -> SendReport:
    """Queue the flow's first text for everyone in its audience (its segment, if any).

    ``local_time`` ("10:00 in each person's own time zone") sets each row's earliest time;
    quiet hours can only push it later."""
    step = next((s for s in flow.steps or [] if "send" in s), None)
    if step is None:
        raise templates.TemplateError(f"flow {flow.name!r} has no send step")
    campaign = flow.campaign
    brand = campaign.brand if campaign else None
    sender = (campaign.senders[0] if campaign and campaign.senders
              else session.scalars(sa.select(Sender).order_by(Sender.id)).first())
    payload = payload or {}
    pieces = templates.split_for_many(step["send"], templates.Context(
        brand=brand.public_name if brand else "",
        support_phone=brand.support_phone if brand else None,
        offer=step.get("offer") or payload.get("offer"), event=payload))
    prefix = f"flow:{flow.id}:send:{send_key}:contact:"
    already = _count_keys(session, prefix)
    link = _link(session, flow, step, payload, prefix) if ("branded link",) in pieces else None
    link_base = links.link_base(app, brand).rstrip("/")
    sqlite = bulk.is_sqlite(session)
    preferences = (links.make_preferences_for_send(session, flow.id)
                   if ("preferences link",) in pieces else None)
    text = bulk.BodySQL(pieces, f"{link_base}/l/{link.code}" if link else None, sqlite,
                        f"{link_base}/l/{preferences.code}" if preferences else None)
    windows = bulk.WindowsSQL(session, at, local_time, flow.message_type.quiet_hours_exempt)
    values = _columns(flow, sender, link, text, windows, prefix, at, sqlite)
    definition = flow.segment.definition if flow.segment else None
    query = windows.join(audiences.audience(session, flow.message_type_id, definition, at)
                         ).with_only_columns(*(value.label(name) for name, value in values.items()))
    if already:  # a re-run (after a crash, say) writes only what is missing
        query = query.where(~sa.exists(sa.select(Message.id).where(
            Message.idempotency_key == values["idempotency_key"])))
    with windows:
        written = _insert(session, sa.insert(Message).from_select(list(values), query), sqlite)
    bulk.recount(session, [row.id for row in written.exceptions if row.segments == 0])
    return _report(session, written, already)


def _columns(flow: Flow, sender: Sender | None, link: Link | None, text: bulk.BodySQL,
             windows: bulk.WindowsSQL, prefix: str, at: datetime,
             sqlite: bool) -> dict[str, Any]:
    """Each ``message`` column of the send's rows, as SQL over ``contact``."""
    count, encoding = text.segment_count()
    status, reasons, send_after = windows.columns(text.missing())
    campaign = flow.campaign
    return {
        "direction": sa.literal("out"), "contact_id": Contact.id, "phone": Contact.phone,
        "sender_id": sa.literal(sender.id if sender else None, sa.Integer),
        "message_type_id": sa.literal(flow.message_type_id), "flow_id": sa.literal(flow.id),
        "campaign_id": sa.literal(campaign.id if campaign else None, sa.Integer),
        "link_id": sa.literal(link.id if link else None, sa.Integer),
        "body": text.body(), "status": status, "block_reasons": reasons,
        "send_after": send_after,
        "idempotency_key": sa.literal(prefix) + _padded(Contact.id, sqlite),
        "segments": count, "encoding": sa.literal(encoding),
        "compliance_reply": sa.false(), "attempts": sa.literal(0),
        "created_at": sa.literal(at, UTCDateTime()), "updated_at": sa.literal(at, UTCDateTime()),
    }


@dataclass
class _Written:
    ids: list[int]
    exceptions: list[Any]  # rows not simply queued: (id, status, send_after, reasons, segments)


def _insert(session: Session, insert: sa.Insert, sqlite: bool) -> _Written:
    """Run the insert; which rows it wrote, and those that are not plainly ``queued``.

    SQLite: every write holds the database's write lock (``core.db``), so the new rows take
    the ids after the largest; collecting them with ``RETURNING`` would cost more than the
    insert. PostgreSQL: ids come from a sequence other writers share, so ``RETURNING``."""
    columns = (Message.id, Message.status, Message.send_after, Message.block_reasons,
               Message.segments)
    if sqlite:
        first = (session.scalar(sa.select(sa.func.max(Message.id))) or 0) + 1
        count = session.execute(insert).rowcount
        ids = list(range(first, first + count))
        exceptions = session.execute(sa.select(*columns).where(
            Message.id.between(first, first + count - 1),
            sa.or_(Message.status != "queued", Message.segments == bulk.UNCOUNTED))).all()
        return _Written(ids, exceptions)
    rows = session.execute(insert.returning(*columns)).all()
    return _Written([row.id for row in rows],
                    [row for row in rows if row.status != "queued" or row.segments == 0])


def _report(session: Session, written: _Written, already: int) -> SendReport:
    report = SendReport(audience=len(written.ids) + already, already_sent=already)
    held = {row.id for row in written.exceptions if row.status != "queued"}
    for row in written.exceptions:
        if row.status == "deferred":
            report.deferred += 1
        elif row.status == "blocked":
            reason = row.block_reasons[0] if row.block_reasons else "blocked"
            report.blocked[reason] = report.blocked.get(reason, 0) + 1
    report.queued = len(written.ids) - len(held)
    submit_rows_after_commit(session, [(i, None) for i in written.ids if i not in held] + [
        (row.id, row.send_after) for row in written.exceptions if row.status == "deferred"])
    return report


def _link(session: Session, flow: Flow, step: dict[str, Any], payload: dict[str, Any],
          prefix: str) -> Link:
    """The send's shared link: the one an earlier run of this send made, else a new one."""
    earlier = session.scalar(sa.select(Message.link_id).where(
        Message.idempotency_key >= prefix, Message.idempotency_key < prefix + "\x7f",
        Message.link_id.is_not(None)).limit(1))
    if earlier is not None:
        return session.get(Link, earlier)
    destination = step.get("link") or payload.get("url")
    if not destination:
        raise templates.TemplateError("[branded link] needs the step's link or the event's url")
    return links.make_for_send(session, destination, flow.id, links.utm_campaign(flow.name))


def _count_keys(session: Session, prefix: str) -> int:
    """How many texts this send already wrote (a key range scan)."""
    return session.scalar(sa.select(sa.func.count()).where(
        Message.idempotency_key >= prefix, Message.idempotency_key < prefix + "\x7f")) or 0


def _padded(column: Any, sqlite: bool) -> Any:
    if sqlite:
        return sa.func.printf(f"%0{KEY_DIGITS}d", column)
    return sa.func.lpad(sa.cast(column, sa.Text), KEY_DIGITS, "0")
