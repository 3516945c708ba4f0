"""The consent ledger's tables: disclosures, the append-only events, the derived state."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.db import Base, utcnow
from core.models.contact import Contact, MessageType

ACTIONS = ("opt_in", "opt_out")
STATES = ("opted_in", "opted_out")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Disclosure(Base):
    """A version of the opt-in text a person saw; frozen once any event cites it."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    text: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    @validates("text")
    def _hash_text(self, _key: str, value: str) -> str:
        self.content_hash = text_hash(value)
        return value

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ConsentEvent(Base):
    """One opt-in or opt-out, exactly as it happened. Never updated, never deleted."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    message_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_type.id"))
    action: Mapped[str] = mapped_column(sa.String(10))
    source: Mapped[str] = mapped_column(sa.String(50))
    source_detail: Mapped[str | None] = mapped_column(sa.String(500))
    disclosure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("disclosure.id"))
    disclosure_hash: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    page_url: Mapped[str | None] = mapped_column(sa.String(1000))
    document_url: Mapped[str | None] = mapped_column(sa.String(1000))
    keyword_text: Mapped[str | None] = mapped_column(sa.String(1600))
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(200))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flow.id"))

    contact: Mapped[Contact] = relationship()
    message_type: Mapped[MessageType | None] = relationship()
    disclosure: Mapped[Disclosure | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(sa.column("action").in_(ACTIONS), name="action"),
        sa.Index("ix_consent_event_occurred_at", "occurred_at"),
    )

    def __str__(self) -> str:
        scope = self.message_type.slug if self.message_type else "all"
        return f"{self.action} {scope} via {self.source}"


class Consent(Base):
    """Current state per (contact, message type), derived from the events; never written directly."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"))
    message_type_id: Mapped[int] = mapped_column(sa.ForeignKey("message_type.id"))
    state: Mapped[str] = mapped_column(sa.String(10))
    since: Mapped[datetime] = mapped_column()
    last_event_id: Mapped[int] = mapped_column(sa.ForeignKey("consent_event.id"))

    contact: Mapped[Contact] = relationship(back_populates="consents")
    message_type: Mapped[MessageType] = relationship()
    last_event: Mapped[ConsentEvent] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("contact_id", "message_type_id"),
        sa.CheckConstraint(sa.column("state").in_(STATES), name="state"),
    )
