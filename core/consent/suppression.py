"""The suppression list keeps HMAC-SHA256(server key, E.164), never the number itself."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.models import Suppression


def phone_hmac(key: str, e164: str) -> str:
    return hmac.new(key.encode(), e164.encode(), hashlib.sha256).hexdigest()


def is_suppressed(session: Session, key: str, e164: str) -> bool:
    query = sa.select(Suppression.id).where(Suppression.phone_hmac == phone_hmac(key, e164))
    return session.scalar(query) is not None


def suppress(session: Session, key: str, e164: str, reason: str, source: str) -> None:
    if not is_suppressed(session, key, e164):
        session.add(Suppression(phone_hmac=phone_hmac(key, e164), reason=reason, source=source))


def lift(session: Session, key: str, e164: str, reason: str) -> None:
    """Remove a suppression of this ``reason`` (a proven new opt-in lifts an opt-out)."""
    session.execute(
        sa.delete(Suppression).where(
            Suppression.phone_hmac == phone_hmac(key, e164), Suppression.reason == reason
        )
    )
