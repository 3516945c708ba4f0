"""What a campaign's registration said when it was submitted or approved, and what made it true.

A version is written when a campaign is marked submitted or approved, and when someone
re-reviews it after a change; it is never changed (``core.registration.drift`` compares the
live records with the latest version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONType, utcnow

VERSION_REASONS = ("submitted", "approved", "re-reviewed")


class RegistrationVersion(Base):
    __tablename__ = "registration_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    # The registration's text fields, exactly as they stood (description, message flow...).
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # What the text rests on: keywords, forms and their disclosures, enabled flows' texts.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(sa.column("reason").in_(VERSION_REASONS), name="reason"),
    )
