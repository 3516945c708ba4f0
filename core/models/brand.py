"""Who sends: the brand, its registered campaigns (10DLC use cases) and its senders."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow

CAMPAIGN_STATUSES = ("draft", "submitted", "approved", "rejected", "suspended")
SENDER_KINDS = ("long_code", "toll_free", "short_code", "alphanumeric")


class Brand(Base):
    __tablename__ = "brand"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    public_name: Mapped[str] = mapped_column(sa.String(100))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    tax_id: Mapped[str | None] = mapped_column(sa.String(50))
    address: Mapped[str | None] = mapped_column(sa.Text)
    support_email: Mapped[str | None] = mapped_column(sa.String(200))
    support_phone: Mapped[str | None] = mapped_column(sa.String(20))
    authorized_contact: Mapped[str | None] = mapped_column(sa.String(200))
    privacy_policy_url: Mapped[str | None] = mapped_column(sa.String(300))
    terms_url: Mapped[str | None] = mapped_column(sa.String(300))
    # Where branded short links live, e.g. https://go.bloomandbranch.example (default: PUBLIC_URL)
    link_domain: Mapped[str | None] = mapped_column(sa.String(200))
    # The SMS terms and the privacy policy's SMS clause (core.registration.generate writes a
    # first draft); published, they are hosted at /legal/<brand id>/terms and /privacy.
    sms_terms: Mapped[str | None] = mapped_column(sa.Text)
    privacy_clause: Mapped[str | None] = mapped_column(sa.Text)
    legal_pages_published: Mapped[bool] = mapped_column(default=False,
                                                        server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="brand")

    def __str__(self) -> str:
        return self.public_name


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("brand.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    use_case: Mapped[str] = mapped_column(sa.String(50))
    description: Mapped[str | None] = mapped_column(sa.Text)
    message_flow: Mapped[str | None] = mapped_column(sa.Text)
    sample_messages: Mapped[list[str]] = mapped_column(default=list)
    opt_in_keywords: Mapped[list[str]] = mapped_column(default=list)
    opt_out_keywords: Mapped[list[str]] = mapped_column(default=list)
    help_keywords: Mapped[list[str]] = mapped_column(default=list)
    help_text: Mapped[str | None] = mapped_column(sa.Text)
    opt_in_confirmation: Mapped[str | None] = mapped_column(sa.Text)
    message_frequency: Mapped[str | None] = mapped_column(sa.String(100))
    # What people see where they opt in, as registration shows it (the hosted forms'
    # disclosures are checked on their own when published).
    call_to_action: Mapped[str | None] = mapped_column(sa.Text)
    # A registration submitted through a provider plugin: which one, its reference there,
    # and the reviewer's reason when it was rejected.
    registration_provider: Mapped[str | None] = mapped_column(sa.String(50))
    registration_reference: Mapped[str | None] = mapped_column(sa.String(200))
    registration_note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    # The FCC lets the one STOP confirmation ask which messages to stop; until the person
    # answers, the revocation covers every message type.
    stop_asks_scope: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    brand: Mapped[Brand] = relationship(back_populates="campaigns")
    senders: Mapped[list[Sender]] = relationship(back_populates="campaign")

    __table_args__ = (
        sa.CheckConstraint(
            sa.column("status").in_(CAMPAIGN_STATUSES), name="status"
        ),
    )

    def __str__(self) -> str:
        return self.name


class Sender(Base):
    __tablename__ = "sender"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="long_code")
    address: Mapped[str] = mapped_column(sa.String(20), unique=True)
    provider: Mapped[str] = mapped_column(sa.String(50), default="sandbox")
    # Throughput the carrier allows this sender; over a limit the sender pauses, the queue stays.
    per_second: Mapped[int | None] = mapped_column()
    per_minute: Mapped[int | None] = mapped_column()
    daily_cap: Mapped[int | None] = mapped_column()  # resets at midnight US/Pacific
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign | None] = relationship(back_populates="senders")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(SENDER_KINDS), name="kind"),
    )

    def __str__(self) -> str:
        return f"{self.address} ({self.kind})"


class SenderPace(Base):
    """Where a sender's throughput stands (``core.sending.pace``), when the queue is not Redis.

    Working state, not evidence: the next free slot, a vendor's pause and today's count."""

    __tablename__ = "sender_pace"

    sender_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sender.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    next_at: Mapped[float] = mapped_column(sa.Float, default=0.0)  # Unix seconds
    paused_until: Mapped[float] = mapped_column(sa.Float, default=0.0)
    day: Mapped[str] = mapped_column(sa.String(10), default="")  # Pacific date day_count counts
    day_count: Mapped[int] = mapped_column(default=0)
