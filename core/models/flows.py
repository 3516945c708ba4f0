"""What sets flows going and where each person is in a flow."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.models.contact import Contact
from core.models.messaging import Flow

RUN_STATUSES = ("waiting", "done", "stopped", "failed")


class FlowEvent(Base):
    """An event that can trigger a flow (``order.created``...), stored before any flow runs."""

    __tablename__ = "flow_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(100), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(sa.String(50))
    external_id: Mapped[str | None] = mapped_column(sa.String(200))
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("source", "external_id"),)

    def __str__(self) -> str:
        return f"{self.kind} #{self.id}"


class FlowRun(Base):
    """One person going through one flow because of one event."""

    __tablename__ = "flow_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(sa.ForeignKey("flow.id"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("flow_event.id"))
    step: Mapped[int] = mapped_column(default=0)  # the next step to run
    status: Mapped[str] = mapped_column(sa.String(10), default="waiting")
    next_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    flow: Mapped[Flow] = relationship()
    contact: Mapped[Contact] = relationship()
    event: Mapped[FlowEvent] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("flow_id", "event_id", "contact_id"),
        sa.CheckConstraint(sa.column("status").in_(RUN_STATUSES), name="status"),
        sa.Index("ix_flow_run_status_next_at", "status", "next_at"),
    )


SCHEDULE_STATUSES = ("scheduled", "started", "done", "paused", "cancelled")


class ScheduledSend(Base):
    """A flow's send to its audience at a fixed instant, or at a local time in each
    recipient's own time zone on a day ("10:00 local on 2026-12-01")."""

    __tablename__ = "scheduled_send"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(sa.ForeignKey("flow.id"), index=True)
    at: Mapped[datetime | None] = mapped_column()  # a fixed instant
    day: Mapped[date | None] = mapped_column(sa.Date)  # with local_time: each person's own day
    local_time: Mapped[str | None] = mapped_column(sa.String(5))  # "HH:MM"
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")
    created_by: Mapped[str | None] = mapped_column(sa.String(255))
    # How many people the person confirming was told it would reach ("Send to 1,214 people").
    confirmed_count: Mapped[int | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    flow: Mapped[Flow] = relationship()

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(SCHEDULE_STATUSES), name="status"),
        sa.CheckConstraint("(at IS NOT NULL) OR (day IS NOT NULL AND local_time IS NOT NULL)",
                           name="when"),
    )
