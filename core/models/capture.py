"""Consent captured where the person is: hosted opt-in forms (and what they showed), form
submissions awaiting a confirming reply, signed paper forms, preference-center choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from core.db import Base, JSONType, utcnow
from core.models.brand import Campaign
from core.models.consent import Disclosure
from core.models.contact import Contact, MessageType
from core.models.messaging import Flow

SUBMISSION_STATUSES = ("confirmed", "pending", "expired", "cancelled")

opt_in_form_types = sa.Table(
    "opt_in_form_type", Base.metadata,
    sa.Column("form_id", sa.ForeignKey("opt_in_form.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("message_type_id", sa.ForeignKey("message_type.id"), primary_key=True),
)


class OptInForm(Base):
    """A hosted opt-in form, built in the admin: one unticked box per message type, the
    disclosure version it shows, what happens after. Public at ``/f/<slug>`` once published."""

    __tablename__ = "opt_in_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    disclosure_id: Mapped[int] = mapped_column(sa.ForeignKey("disclosure.id"))
    heading: Mapped[str | None] = mapped_column(sa.String(200))
    ask_name: Mapped[bool] = mapped_column(default=True)
    ask_email: Mapped[bool] = mapped_column(default=False)
    ask_zip: Mapped[bool] = mapped_column(default=False)
    thank_you: Mapped[str | None] = mapped_column(sa.Text)
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flow.id"))
    double_opt_in: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    disclosure: Mapped[Disclosure] = relationship()
    flow: Mapped[Flow | None] = relationship()
    message_types: Mapped[list[MessageType]] = relationship(secondary=opt_in_form_types,
                                                            order_by=MessageType.id)

    def __str__(self) -> str:
        return self.name


class FormSnapshot(Base):
    """A hosted form exactly as it was rendered, kept once per distinct page. Its SHA-256 is
    hashed into the consent chain with every opt-in made on it. Never changed."""

    __tablename__ = "form_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("opt_in_form.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormSubmission(Base):
    """One submission of a hosted form. Its nonce (the SHA-256 of the one-use token in the
    rendered page) makes a repeat of the same submission record nothing; with double
    opt-in it waits here for the reply Y."""

    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("opt_in_form.id"), index=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    message_type_ids: Mapped[list[Any]] = mapped_column(JSONType)
    snapshot_sha256: Mapped[str] = mapped_column(sa.String(64))
    page_url: Mapped[str | None] = mapped_column(sa.String(1000))
    host_page_url: Mapped[str | None] = mapped_column(sa.String(1000))
    ip: Mapped[str | None] = mapped_column(sa.String(45))  # personal: cleared on erasure
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10))
    submitted_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    request_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirm_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))

    form: Mapped[OptInForm] = relationship()
    contact: Mapped[Contact] = relationship()

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(SUBMISSION_STATUSES), name="status"),
        sa.Index("ix_form_submission_pending", "contact_id", "status"),
    )


class ConsentDocument(Base):
    """A signed paper form's scan or photo, kept as uploaded; its SHA-256 is hashed into
    the consent chain with the opt-ins it proves. Never changed."""

    __tablename__ = "consent_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(sa.String(255))
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    uploaded_by: Mapped[str] = mapped_column(sa.String(200))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:12]})"


class PreferenceEvent(Base):
    """A choice made in the preference center beyond consent itself (how often offers
    come), with the same evidence as a consent event. Append-only."""

    __tablename__ = "preference_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    value: Mapped[str | None] = mapped_column(sa.String(100))
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("link.id"))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship()
