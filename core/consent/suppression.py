"""The suppression list keeps HMAC-SHA256(server key, E.164), never the number itself."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.models import Suppression
from core.models.guard import allow_writes


def phone_hmac(key: str, e164: str) -> str:
    return hmac.digest(key.encode(), e164.encode(), "sha256").hex()


class PhoneHmacs:
    """:func:`phone_hmac` with its key prepared once, for a million numbers (picklable: an
    import's worker processes get one each)."""

    def __init__(self, key: str):
        self.key = key
        self._keyed = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def __call__(self, e164: str) -> str:
        digest = self._keyed.copy()
        digest.update(e164.encode())
        return digest.hexdigest()

    def __reduce__(self):
        return PhoneHmacs, (self.key,)


def find(session: Session, key: str, e164: str) -> Suppression | None:
    query = sa.select(Suppression).where(Suppression.phone_hmac == phone_hmac(key, e164))
    return session.scalars(query).one_or_none()


def is_suppressed(session: Session, key: str, e164: str) -> bool:
    return find(session, key, e164) is not None


def suppress(session: Session, key: str, e164: str, reason: str, source: str,
             since: datetime) -> None:
    """Suppress the number from ``since`` (kept at the latest opt-out if already suppressed)."""
    existing = find(session, key, e164)
    if existing is None:
        session.add(Suppression(phone_hmac=phone_hmac(key, e164), reason=reason, source=source,
                                since=since))
    elif existing.since < since:
        with allow_writes(session, "Suppression.since"):
            existing.since = since
            session.flush()


def lift(session: Session, key: str, e164: str, reason: str, opted_in_at: datetime) -> None:
    """A proven opt-in lifts a suppression of this ``reason`` only if it happened after it.

    An old paper form imported today, or a re-import of an erased number, lifts nothing.
    """
    existing = find(session, key, e164)
    if existing is not None and existing.reason == reason and existing.since < opted_in_at:
        with allow_writes(session, "Suppression.*"):
            session.delete(existing)
            session.flush()


SESSION_KEY = "suppression_key"


@sa.event.listens_for(Session, "before_flush")
def _hash_contact_phones(session: Session, _context, _instances) -> None:
    """Keep ``Contact.phone_hmac`` in step with ``Contact.phone`` for every ORM write."""
    from core.models import Contact

    changed = [c for c in list(session.new) + list(session.dirty)
               if isinstance(c, Contact) and sa.inspect(c).attrs.phone.history.has_changes()]
    if not changed:
        return
    key = session.info.get(SESSION_KEY)
    if key is None:
        raise RuntimeError("session.info['suppression_key'] is not set; build sessions "
                           "through the app (core.db) or pass info={'suppression_key': ...}")
    for contact in changed:
        contact.phone_hmac = phone_hmac(key, contact.phone) if contact.phone else None
