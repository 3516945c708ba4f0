"""Sends to a flow's audience as people start them: confirmed, then scheduled, paused or
cancelled.

A send starts only with the number the person confirmed: if the audience changed since
they saw the preview (someone opted out, a segment grew), it is refused and they see the
new preview. "Now" writes the texts at once; a later time waits for the worker. A running
send can be paused (its texts not yet handed to a provider wait, unclaimed) and resumed.
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.db import utcnow
from core.flows import schedule, send_preview
from core.models import Flow, Message, ScheduledSend
from core.sending.queue import submit_rows_after_commit

WAITING = ("queued", "deferred")


class SendChanged(ValueError):
    """The audience is not what the person confirmed; show them the preview again."""


def start(session: Session, app: Flask, flow: Flow, actor: str, confirmed: int,
          at: datetime | None = None, day: date | None = None,
          local_time: time | None = None) -> ScheduledSend:
    """Schedule ``flow`` for its audience, now or later, after its preview is confirmed."""
    now = utcnow()
    when = at or (None if local_time else now)
    moment = when or now
    preview = send_preview.preview(session, app, flow, moment, local_time, day=day)
    if preview.findings:
        raise send_preview.SendRefused(" ".join(preview.findings))
    if preview.will_send != confirmed:
        raise SendChanged(f"The audience changed since the preview: it is now "
                          f"{preview.will_send:,} people, not {confirmed:,}. Check it again.")
    send = ScheduledSend(flow=flow, at=when, day=day if local_time else None,
                         local_time=local_time.strftime("%H:%M") if local_time else None,
                         created_by=actor, confirmed_count=confirmed)
    session.add(send)
    session.flush()
    if when is not None and when <= now:
        schedule.run_due(session, app, now, only=send.id)
    return send


def _texts(send: ScheduledSend) -> sa.ColumnElement:
    prefix = f"flow:{send.flow_id}:send:scheduled:{send.id}:"
    return sa.and_(Message.idempotency_key >= prefix, Message.idempotency_key < prefix + "\x7f")


def pause(session: Session, send: ScheduledSend) -> int:
    """Hold the texts of a running send that are not yet with a provider; how many."""
    if send.status not in ("started", "done"):
        raise send_preview.SendRefused("Only a send that is going out can be paused.")
    held = session.execute(sa.update(Message).where(_texts(send), Message.status.in_(WAITING))
                           .values(status="paused").execution_options(
                               synchronize_session=False)).rowcount
    send.status = "paused"
    return held


def resume(session: Session, send: ScheduledSend) -> int:
    """Let a paused send's texts go again (the gate judges each one again as it goes)."""
    if send.status != "paused":
        raise send_preview.SendRefused("Only a paused send can be resumed.")
    rows = session.execute(sa.update(Message).where(_texts(send), Message.status == "paused")
                           .values(status="queued").returning(Message.id, Message.send_after)
                           .execution_options(synchronize_session=False)).all()
    submit_rows_after_commit(session, [(row.id, row.send_after) for row in rows])
    send.status = "done"
    return len(rows)


def progress(session: Session, send: ScheduledSend) -> dict[str, int]:
    """How many of the send's texts are in each state."""
    return dict(session.execute(sa.select(Message.status, sa.func.count())
                                .where(_texts(send)).group_by(Message.status)).all())
