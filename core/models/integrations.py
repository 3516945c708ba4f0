"""Connected systems (a shop, a calendar, a helpdesk) and every delivery they send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import Base, utcnow

DELIVERY_STATUSES = ("received", "rejected", "queued", "processed", "ignored", "failed")


class IntegrationConnection(Base):
    """An installed integration an admin connected: its settings, secrets encrypted."""

    __tablename__ = "integration_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # never a secret
    secrets: Mapped[str | None] = mapped_column(sa.Text)  # Fernet token of a JSON object
    enabled: Mapped[bool] = mapped_column(default=True)
    connected_by: Mapped[str] = mapped_column(sa.String(200))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IntegrationDelivery(Base):
    """A webhook delivery from an integration, stored before anything else is done with it.
    A verified delivery keeps its whole raw body (a replay re-checks nothing but runs the
    mapping again); a refused one only its first KB."""

    __tablename__ = "integration_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration: Mapped[str] = mapped_column(sa.String(50))
    route: Mapped[str] = mapped_column(sa.String(50))
    url: Mapped[str] = mapped_column(sa.String(1000))
    event_id: Mapped[str | None] = mapped_column(sa.String(200))
    topic: Mapped[str | None] = mapped_column(sa.String(100))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    body_size: Mapped[int] = mapped_column()
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10))
    outcome: Mapped[str | None] = mapped_column(sa.Text)  # what was done, or why not
    attempts: Mapped[int] = mapped_column(default=0)
    redeliveries: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        sa.UniqueConstraint("integration", "event_id", name="uq_integration_delivery_event"),
        sa.CheckConstraint(sa.column("status").in_(DELIVERY_STATUSES), name="status"),
        sa.Index("ix_integration_delivery_recent", "integration", "received_at"),
    )


OUTGOING_STATUSES = ("pending", "sent", "skipped", "failed")


class OutgoingWebhook(Base):
    """A Consentdesk event forwarded to a connected system: written in the same transaction
    as the event (so none is lost), sent by the queue, retried with backoff."""

    __tablename__ = "outgoing_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[str] = mapped_column(sa.String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime | None] = mapped_column()
    response_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(OUTGOING_STATUSES), name="status"),
        sa.Index("ix_outgoing_webhook_due", "status", "next_at"),
    )
