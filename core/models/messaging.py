"""What is sent and what comes back: flows, messages, links, clicks, conversions, webhooks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.models.brand import Campaign, Sender
from core.models.contact import Contact, MessageType, Segment

DIRECTIONS = ("in", "out")
MESSAGE_STATUSES = (
    "received",
    "queued",
    "blocked",
    "deferred",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "dead",
    "paused",  # a text of a paused send: waits, unclaimed, until the send is resumed
)


class Flow(Base):
    """A purpose, an audience, a trigger, steps and a success metric."""

    __tablename__ = "flow"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    purpose: Mapped[str | None] = mapped_column(sa.Text)
    message_type_id: Mapped[int] = mapped_column(sa.ForeignKey("message_type.id"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    trigger: Mapped[str] = mapped_column(sa.String(100))
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("segment.id"))
    steps: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    success_metric: Mapped[str | None] = mapped_column(sa.String(100))
    enabled: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message_type: Mapped[MessageType] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    segment: Mapped[Segment | None] = relationship()

    def __str__(self) -> str:
        return self.name


class Message(Base):
    """One text in or out. Outbound rows are the outbox: written before anything is sent."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(3))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    phone: Mapped[str] = mapped_column(sa.String(16))
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sender.id"))
    message_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_type.id"))
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flow.id"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    # The branded link in the body (a bulk send's shared link: the code adds the recipient).
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("link.id", use_alter=True))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12))
    block_reasons: Mapped[list[str]] = mapped_column(default=list)
    provider: Mapped[str | None] = mapped_column(sa.String(50))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(100))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    send_after: Mapped[datetime | None] = mapped_column()  # a deferred message's earliest time
    expires_at: Mapped[datetime | None] = mapped_column()  # a time-specific message's deadline
    segments: Mapped[int] = mapped_column(default=1)
    encoding: Mapped[str] = mapped_column(sa.String(5), default="GSM-7")
    # A STOP/HELP confirmation the rules themselves require: the gate skips consent and content.
    compliance_reply: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # "Send a test" from the admin: labelled in the message log, never part of a report.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    dispatched_at: Mapped[datetime | None] = mapped_column()  # when last handed to a provider
    error_code: Mapped[str | None] = mapped_column(sa.String(30))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact | None] = relationship()
    sender: Mapped[Sender | None] = relationship()
    message_type: Mapped[MessageType | None] = relationship()
    flow: Mapped[Flow | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    link: Mapped[Link | None] = relationship(foreign_keys=[link_id])

    __table_args__ = (
        sa.CheckConstraint(sa.column("direction").in_(DIRECTIONS), name="direction"),
        sa.CheckConstraint(sa.column("status").in_(MESSAGE_STATUSES), name="status"),
        sa.Index("ix_message_status_send_after", "status", "send_after"),
        # Partial: a queued row has neither yet, so writing a million of them touches
        # neither index (receipts and throughput limits only look up rows that have them).
        sa.Index("ix_message_sender_id_dispatched_at", "sender_id", "dispatched_at",
                 sqlite_where=sa.text("dispatched_at IS NOT NULL"),
                 postgresql_where=sa.text("dispatched_at IS NOT NULL")),
        sa.Index("ix_message_provider_message_id", "provider_message_id",
                 sqlite_where=sa.text("provider_message_id IS NOT NULL"),
                 postgresql_where=sa.text("provider_message_id IS NOT NULL")),
    )


class Link(Base):
    """A branded short link: one per message (``message_id``), or one per bulk send, whose
    recipients' codes add their own part (see core.flows.links)."""

    __tablename__ = "link"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    destination: Mapped[str] = mapped_column(sa.String(2000))
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"))
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flow.id"))
    # "branded": to ``destination``; "preferences": to the person's preference center.
    kind: Mapped[str] = mapped_column(sa.String(20), default="branded")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    clicks: Mapped[list[Click]] = relationship(back_populates="link")

    def __str__(self) -> str:
        return self.code


class Click(Base):
    """A visit to a branded link, by the recipient of ``message_id`` when it is known."""

    __tablename__ = "click"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("link.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    clicked_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))

    link: Mapped[Link] = relationship(back_populates="clicks")


class Conversion(Base):
    """An outcome (order, booking...) attributed to a flow's click or delivered message."""

    __tablename__ = "conversion"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    source: Mapped[str] = mapped_column(sa.String(50))
    external_id: Mapped[str | None] = mapped_column(sa.String(200))
    occurred_at: Mapped[datetime] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flow.id"))

    contact: Mapped[Contact | None] = relationship()
    flow: Mapped[Flow | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("source", "external_id"),)


class WebhookEvent(Base):
    """A raw inbound webhook, stored before it is processed so nothing is lost."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(50))
    endpoint: Mapped[str] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[str] = mapped_column(sa.Text)  # only the first KB of a refused request
    body_size: Mapped[int | None] = mapped_column()
    body_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(20), default="received")
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (sa.UniqueConstraint("source", "idempotency_key"),)
