"""Who we text: contacts, message types, preferences, suppressions and segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core import location
from core.db import Base, utcnow
from core.phone import to_e164


class MessageType(Base):
    """A program consent is given for: marketing, transactional, support, ..."""

    __tablename__ = "message_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(50), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str | None] = mapped_column(sa.Text)
    requires_opt_in: Mapped[bool] = mapped_column(default=True)
    quiet_hours_exempt: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.name


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # None once erased
    # HMAC of the phone with the suppression key (set on flush, see core.consent.suppression),
    # so an audience query can leave suppressed numbers out in SQL.
    phone_hmac: Mapped[str | None] = mapped_column(sa.String(64))
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    # Where the contact is, for quiet hours: derived on save from the ZIP code, else the state,
    # else the number (see core.location); a time zone typed in wins.
    postal_code: Mapped[str | None] = mapped_column(sa.String(10))
    state: Mapped[str | None] = mapped_column(sa.String(2))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    tags: Mapped[list[str]] = mapped_column(default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column()
    # A provider said the number cannot receive texts (unreachable, unknown, landline): the
    # gate holds sends until a later delivery or a fresh opt-in (core.sending.outcomes).
    undeliverable_at: Mapped[datetime | None] = mapped_column()
    undeliverable_code: Mapped[str | None] = mapped_column(sa.String(60))

    consents: Mapped[list[Consent]] = relationship(  # noqa: F821
        back_populates="contact", viewonly=True
    )

    # A bulk send's link codes carry the first 12 characters of the HMAC (core.flows.links).
    __table_args__ = (sa.Index("ix_contact_link_part", sa.text("substr(phone_hmac, 1, 12)")),)

    @validates("phone")
    def _normalise_phone(self, _key: str, value: str) -> str:
        return to_e164(value)

    @validates("postal_code")
    def _check_postal_code(self, _key: str, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        location.zip_place(value)  # LocationError if it is not a ZIP code
        return value.strip()

    @validates("state")
    def _normalise_state(self, _key: str, value: str | None) -> str | None:
        return location.state_code(value) if value and value.strip() else None

    @validates("timezone")
    def _check_timezone(self, _key: str, value: str | None) -> str | None:
        if value and value.strip():
            return location.zone_name(value)
        return None  # an emptied time zone is derived again on save

    def __str__(self) -> str:
        if self.erased_at:
            return f"(erased contact {self.id})"
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return f"{name} {self.phone}" if name else str(self.phone)


LOCATED_BY = ("phone", "postal_code", "state")


@sa.event.listens_for(Contact, "before_insert")
@sa.event.listens_for(Contact, "before_update")
def _locate(_mapper: Any, _connection: Any, contact: Contact) -> None:
    """Derive state and time zone when the number, ZIP code or state changes: the most
    precise wins (ZIP, state, number); a state or time zone typed in this same edit is kept."""
    if not contact.phone:
        return  # erased
    attrs = sa.inspect(contact).attrs
    changed = {name for name in (*LOCATED_BY, "timezone") if attrs[name].history.has_changes()}
    if not changed & set(LOCATED_BY) and contact.timezone is not None:
        return
    place = location.locate(contact.phone, contact.postal_code,
                            contact.state if "state" in changed else None)
    contact.state = place.state
    if not ("timezone" in changed and contact.timezone):
        contact.timezone = place.timezone


class Preference(Base):
    """What a contact asked for in the preference center, beyond consent itself."""

    __tablename__ = "preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), unique=True)
    max_per_week: Mapped[int | None] = mapped_column()  # texts of any kind
    # Marketing texts only: chosen in the preference center ("one offer a week").
    offers_per_week: Mapped[int | None] = mapped_column()
    language: Mapped[str | None] = mapped_column(sa.String(10))
    paused_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()


class Suppression(Base):
    """A number that must never be texted, kept as an HMAC so erasure cannot unblock it.

    ``since`` is when the opt-out happened; only an opt-in that happened later lifts it.
    """

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hmac: Mapped[str] = mapped_column(sa.String(64), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(50))
    source: Mapped[str | None] = mapped_column(sa.String(50))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Segment(Base):
    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return self.name
