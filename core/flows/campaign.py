"""A send to a whole audience, set-based: one query, one render per person, bulk inserts.

Eligibility is the gate's, in bulk: consent and suppression in the audience query; quiet
hours once per (time zone, state) group, which sets each row's ``send_after``. Frequency
caps, content rules and a consent change after this moment are judged again per message by
the dispatcher (it re-runs the whole gate before anything goes out). Every row's
idempotency key names the flow, the send and the contact, so running the same send twice
adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core import segments as sms_segments
from core.db import fast_insert, reserve_ids
from core.flows import audiences, links, templates
from core.gate import rules
from core.gate.check import FALLBACK_ZONE
from core.models import Contact, Flow, Link, Message, Sender
from core.sending.queue import submit_rows_after_commit

CHUNK = 5_000
MESSAGE, LINK = Message.__table__, Link.__table__


@dataclass
class SendReport:
    audience: int = 0
    queued: int = 0
    deferred: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> people left out
    already_sent: int = 0


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
    fill = templates.compile_for_many(step["send"], templates.Context(
        brand=brand.public_name if brand else "",
        support_phone=brand.support_phone if brand else None,
        offer=step.get("offer") or payload.get("offer"), event=payload))
    destination = step.get("link") or payload.get("url")
    wants_link = "[branded link]" in step["send"]
    if wants_link and not destination:
        raise templates.TemplateError("[branded link] needs the step's link or the event's url")
    link_base = ((brand.link_domain if brand and brand.link_domain else None)
                 or app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    tagged = links.tag(links.check_destination(destination), links.utm_campaign(flow.name)) if wants_link else None

    definition = flow.segment.definition if flow.segment else None
    query = audiences.audience(session, flow.message_type_id, definition, at).with_only_columns(
        Contact.id, Contact.phone, Contact.timezone, Contact.first_name, Contact.last_name,
        Contact.state)
    report = SendReport()
    windows = _Windows(at, local_time, flow.message_type.quiet_hours_exempt)
    prefix = f"flow:{flow.id}:send:{send_key}:contact:"
    done = _existing_keys(session, prefix)
    base = {"direction": "out", "sender_id": sender.id if sender else None,
            "message_type_id": flow.message_type_id, "flow_id": flow.id,
            "campaign_id": campaign.id if campaign else None, "compliance_reply": False,
            "attempts": 0, "provider": None, "provider_message_id": None, "expires_at": None,
            "dispatched_at": None, "error_code": None, "last_error": None,
            "created_at": at, "updated_at": at}
    result = session.execute(query.execution_options(yield_per=CHUNK))
    for rows in result.partitions(CHUNK):
        report.audience += len(rows)
        fresh = [row for row in rows if f"{prefix}{row.id}" not in done]
        report.already_sent += len(rows) - len(fresh)
        ids = iter(reserve_ids(session, MESSAGE, len(fresh)))
        messages, made = [], []
        for row in fresh:
            code = links.new_code() if wants_link else None
            try:
                body = fill(row.first_name, row.last_name,
                            f"{link_base}/l/{code}" if code else None)
            except templates.TemplateError as error:
                report.skipped[str(error)] = report.skipped.get(str(error), 0) + 1
                continue
            send_after, reasons = windows.for_contact(row.timezone, row.phone, row.state)
            counted = sms_segments.count(body)
            message_id = next(ids)
            messages.append({**base, "id": message_id, "contact_id": row.id, "phone": row.phone,
                             "body": body, "status": "deferred" if send_after else "queued",
                             "block_reasons": reasons, "send_after": send_after,
                             "idempotency_key": f"{prefix}{row.id}",
                             "segments": counted.segments, "encoding": counted.encoding})
            if code:
                made.append({"code": code, "destination": tagged, "message_id": message_id,
                             "contact_id": row.id, "flow_id": flow.id, "created_at": at})
        fast_insert(session, MESSAGE, messages)
        fast_insert(session, LINK, made)
        submit_rows_after_commit(session, [(m["id"], m["send_after"]) for m in messages])
        deferred = sum(1 for m in messages if m["send_after"])
        report.deferred += deferred
        report.queued += len(messages) - deferred
    return report


def _existing_keys(session: Session, prefix: str) -> set[str]:
    """The keys this send already wrote (a repeated send adds nothing); a key range scan."""
    return set(session.scalars(sa.select(Message.idempotency_key).where(
        Message.idempotency_key >= prefix, Message.idempotency_key < prefix + "\x7f")))


class _Windows:
    """Quiet hours (and a local sending time) worked out once per time zone and state."""

    def __init__(self, at: datetime, local_time: time | None, exempt: bool):
        self.at, self.local_time, self.exempt = at, local_time, exempt
        self._cache: dict[tuple[str, str | None], tuple[datetime | None, list[str]]] = {}

    def for_contact(self, zone: str | None, phone: str, state: str | None):
        key = (zone or FALLBACK_ZONE, state)
        if key not in self._cache:
            self._cache[key] = self._window(*key)
        return self._cache[key]

    def _window(self, zone: str, state: str | None) -> tuple[datetime | None, list[str]]:
        local = self.at.astimezone(ZoneInfo(zone))
        earliest = local
        reasons: list[str] = []
        if self.local_time is not None:
            earliest = datetime.combine(local.date(), self.local_time, local.tzinfo)
            if earliest < local:
                earliest += timedelta(days=1)
            reasons.append(f"scheduled: {self.local_time:%H:%M} in {zone}")
        if not self.exempt:
            allowed, window = rules.next_allowed(earliest, state)
            if allowed != earliest:
                reasons.append(f"quiet_hours: {earliest:%H:%M} is outside "
                               f"{window.start:%H:%M}-{window.end:%H:%M} ({window.rule})")
            earliest = allowed
        return (earliest if earliest > local else None), reasons
