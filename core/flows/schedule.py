"""Scheduled sends: a flow's send to its audience at an instant, or at a local time.

"10:00 local" starts when the first of the audience's time zones reaches 10:00 that day;
each row then waits (``send_after``) for 10:00 in its own zone, and quiet hours can only
push it later. The worker starts due sends every minute. Cancelling a send that has not
started stops it; cancelling one that has blocks every text of it not yet handed to a
provider.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.flows import audiences, campaign
from core.gate.check import FALLBACK_ZONE
from core.models import Message, ScheduledSend

WAITING = ("queued", "deferred", "paused")


def local_time_of(send: ScheduledSend) -> time | None:
    return time.fromisoformat(send.local_time) if send.local_time else None


def starts_at(session: Session, send: ScheduledSend) -> datetime:
    """When ``send`` starts: its instant, or its local time in the audience's first zone."""
    if send.at is not None:
        return send.at
    flow = send.flow
    definition = flow.segment.definition if flow.segment else None
    query = audiences.audience(session, flow.message_type_id, definition, send.created_at)
    zones = set(session.scalars(sa.select(query.subquery().c.timezone).distinct()))
    when = local_time_of(send)
    return min(datetime.combine(send.day, when, ZoneInfo(zone or FALLBACK_ZONE))
               for zone in zones or {FALLBACK_ZONE})


EARLIEST = timezone(timedelta(hours=14))  # no place reaches a local time before UTC+14


def _may_be_due(send: ScheduledSend, now: datetime) -> bool:
    """A cheap test before the audience's zones are looked up (the sweep runs every minute)."""
    if send.at is not None:
        return send.at <= now
    return datetime.combine(send.day, local_time_of(send), EARLIEST) <= now


def run_due(session: Session, app: Flask, now: datetime, only: int | None = None) -> int:
    """Start every scheduled send whose time has come (or just ``only``); how many started."""
    started = 0
    query = sa.select(ScheduledSend).where(ScheduledSend.status == "scheduled")
    if only is not None:
        query = query.where(ScheduledSend.id == only)
    for send in session.scalars(query.order_by(ScheduledSend.id)).all():
        if not _may_be_due(send, now) or starts_at(session, send) > now:
            continue
        send.status, send.started_at = "started", now
        report = campaign.send_now(session, app, send.flow, f"scheduled:{send.id}", now,
                                   local_time=local_time_of(send))
        send.status, send.report = "done", vars(report)
        started += 1
    return started


def cancel(session: Session, send: ScheduledSend, actor: str) -> int:
    """Cancel ``send``; return how many of its texts were stopped before going out."""
    if send.status == "scheduled":
        send.status = "cancelled"
        return 0
    prefix = f"flow:{send.flow_id}:send:scheduled:{send.id}:"
    result = session.execute(
        sa.update(Message).where(Message.idempotency_key >= prefix,
                                 Message.idempotency_key < prefix + "\x7f",
                                 Message.status.in_(WAITING))
        .values(status="blocked", block_reasons=[f"cancelled: the scheduled send was "
                                                 f"cancelled by {actor}"])
        .execution_options(synchronize_session=False))
    send.status = "cancelled"
    return result.rowcount


__all__ = ["cancel", "run_due", "starts_at"]
