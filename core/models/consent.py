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
    """One opt-in or opt-out, exactly as it happened. Never updated, never deleted.

    Events form a hash chain in ``seq`` order: ``hash`` covers every column here plus
    ``personal_hash`` (the digest of the erasable :class:`ConsentEvidence`) and the
    previous event's hash. Personal data lives only in the evidence row, so erasing it
    leaves the chain verifiable.
    """

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    message_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_type.id"))
    action: Mapped[str] = mapped_column(sa.String(10))
    source: Mapped[str] = mapped_column(sa.String(50))
    source_detail: Mapped[str | None] = mapped_column(sa.String(500))
    disclosure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("disclosure.id"))
    disclosure_hash: Mapped[str | None] = mapped_column(sa.String(64))
    page_url: Mapped[str | None] = mapped_column(sa.String(1000))
    document_url: Mapped[str | None] = mapped_column(sa.String(1000))
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(200))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flow.id"))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(100))
    external_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True, index=True)
    # What the person saw or signed, when the source keeps it: the SHA-256 of the hosted
    # form as rendered (``form_snapshot``) or of the paper form's scan (``consent_document``),
    # and the page a form was embedded in. Hashed into the chain when set.
    snapshot_hash: Mapped[str | None] = mapped_column(sa.String(64))
    document_hash: Mapped[str | None] = mapped_column(sa.String(64))
    host_page_url: Mapped[str | None] = mapped_column(sa.String(1000))
    personal_hash: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))  # verified by walking the chain

    contact: Mapped[Contact] = relationship()
    message_type: Mapped[MessageType | None] = relationship()
    disclosure: Mapped[Disclosure | None] = relationship()
    evidence: Mapped[ConsentEvidence] = relationship(back_populates="event")

    __table_args__ = (sa.CheckConstraint(sa.column("action").in_(ACTIONS), name="action"),)

    def __str__(self) -> str:
        scope = self.message_type.slug if self.message_type else "all"
        return f"{self.action} {scope} via {self.source}"


class ConsentEvidence(Base):
    """The personal data behind one event: erasable on request, hashed into the chain."""

    __tablename__ = "consent_evidence"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("consent_event.id"), primary_key=True)
    nonce: Mapped[str | None] = mapped_column(sa.String(32))
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    keyword_text: Mapped[str | None] = mapped_column(sa.String(1600))
    erased_at: Mapped[datetime | None] = mapped_column()

    event: Mapped[ConsentEvent] = relationship(back_populates="evidence")


class ConsentChainHead(Base):
    """The last link of the chain; its row lock serialises writers."""

    __tablename__ = "consent_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))


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
        # The admin's consent list, latest change first, over millions of rows.
        sa.Index("ix_consent_since", "since"),
    )
