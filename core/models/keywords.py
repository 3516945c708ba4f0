"""Keyword engine data: the keyword and phrase lists, and the revocation review queue."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.models.contact import Contact

KEYWORD_KINDS = ("opt_out", "help", "opt_in", "filler", "phrase", "harmless", "doubt", "join",
                 "event", "pair", "slot", "spelling", "type", "total", "trigger", "fuzzy",
                 "near_miss", "skip")
TICKET_STATUSES = ("open", "revoked", "dismissed", "answered")


class Keyword(Base):
    """One keyword, word list or pattern, per language; admins edit, plugins add (see
    :class:`hooks.KeywordSpec` for what each ``kind`` means)."""

    __tablename__ = "keyword"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    text: Mapped[str] = mapped_column(sa.Text)
    # The slot a word list fills, the word a spelling stands for, an event's name...
    meaning: Mapped[str | None] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("kind", "language", "text"),
        sa.CheckConstraint(sa.column("kind").in_(KEYWORD_KINDS), name="kind"),
    )

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"{self.kind}: {text} ({self.language})"


class RevocationTicket(Base):
    """A revocation a person must act on or decide, with its deadline.

    ``possible`` tickets come from texts that might mean "stop" ("see you at the end of
    the day"); ``scope`` tickets wait for the person's answer to "stop everything, or only
    promotions?"; the others record revocations received by email, phone or helpdesk.
    """

    __tablename__ = "revocation_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    channel: Mapped[str] = mapped_column(sa.String(30))
    kind: Mapped[str] = mapped_column(sa.String(10), default="revocation")
    possible: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str | None] = mapped_column(sa.Text)
    matched: Mapped[str | None] = mapped_column(sa.String(200))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    resolved_by: Mapped[str | None] = mapped_column(sa.String(255))
    resolved_at: Mapped[datetime | None] = mapped_column()

    contact: Mapped[Contact | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(TICKET_STATUSES), name="status"),
    )
