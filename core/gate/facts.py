"""What the gate reads from the database, asked one contact at a time or loaded for a batch.

``LiveFacts`` runs a small query per question: right for one message. ``BatchFacts``
loads the same answers for a whole dispatch batch in a handful of set-based queries, so
re-checking the gate at dispatch costs per batch, not per message. Both must answer
identically; a test runs every gate case through both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.consent.suppression import phone_hmac
from core.db import one_of
from core.models import Consent, Contact, Message, Preference, Suppression

COUNTED_STATUSES = ("queued", "sending", "sent", "delivered")
LONGEST_CAP = timedelta(days=7)  # the longest frequency window the gate applies


def _counted(query: sa.Select) -> sa.Select:
    # ``status || ''`` keeps SQLite from walking the (status, send_after) index, which every
    # queued row matches, instead of looking up the few contacts asked about.
    return query.where(Message.direction == "out",
                       Message.status.concat("").in_(COUNTED_STATUSES))


class LiveFacts:
    def __init__(self, session: Session, suppression_key: str):
        self.session, self.key = session, suppression_key

    def suppressed(self, contact: Contact) -> bool:
        digest = phone_hmac(self.key, contact.phone)
        return self.session.scalar(
            sa.select(Suppression.id).where(Suppression.phone_hmac == digest)) is not None

    def consent_state(self, contact_id: int, type_id: int) -> str | None:
        return self.session.scalar(sa.select(Consent.state).where(
            Consent.contact_id == contact_id, Consent.message_type_id == type_id))

    def max_per_week(self, contact_id: int) -> int | None:
        return self.session.scalar(sa.select(Preference.max_per_week).where(
            Preference.contact_id == contact_id))

    def offers_per_week(self, contact_id: int) -> int | None:
        return self.session.scalar(sa.select(Preference.offers_per_week).where(
            Preference.contact_id == contact_id))

    def has_counted(self, contact_id: int, exclude_id: int | None) -> bool:
        query = _counted(sa.select(Message.id).where(Message.contact_id == contact_id))
        if exclude_id:
            query = query.where(Message.id != exclude_id)
        return self.session.scalar(query.limit(1)) is not None

    def counted_since(self, contact_id: int, since: datetime, type_id: int | None,
                      exclude_id: int | None) -> list[datetime]:
        query = _counted(sa.select(Message.created_at).where(
            Message.contact_id == contact_id, Message.created_at > since))
        if type_id is not None:
            query = query.where(Message.message_type_id == type_id)
        if exclude_id:
            query = query.where(Message.id != exclude_id)
        return sorted(self.session.scalars(query))


class BatchFacts:
    """The answers for ``contacts``, loaded at once; ask only about these contacts."""

    def __init__(self, session: Session, suppression_key: str, contacts: Iterable[Contact],
                 at: datetime):
        contacts = list(contacts)
        ids = [c.id for c in contacts]
        hmacs = [c.phone_hmac or phone_hmac(suppression_key, c.phone) for c in contacts if c.phone]
        self.key = suppression_key
        self._suppressed = set(_chunked(session, sa.select(Suppression.phone_hmac),
                                        Suppression.phone_hmac, hmacs))
        self._consent = {(c, t): s for c, t, s in _chunked(
            session, sa.select(Consent.contact_id, Consent.message_type_id, Consent.state),
            Consent.contact_id, ids, rows=True)}
        self._weekly, self._offers = {}, {}
        for contact_id, weekly, offers in _chunked(
                session, sa.select(Preference.contact_id, Preference.max_per_week,
                                   Preference.offers_per_week)
                .where(sa.or_(Preference.max_per_week.is_not(None),
                              Preference.offers_per_week.is_not(None))),
                Preference.contact_id, ids, rows=True):
            if weekly is not None:
                self._weekly[contact_id] = weekly
            if offers is not None:
                self._offers[contact_id] = offers
        self._recent: dict[int, list[tuple[int, datetime, int | None]]] = defaultdict(list)
        for message_id, contact_id, created, type_id in _chunked(
                session, _counted(sa.select(Message.id, Message.contact_id, Message.created_at,
                                            Message.message_type_id)
                                  .where(Message.created_at > at - LONGEST_CAP)),
                Message.contact_id, ids, rows=True):
            self._recent[contact_id].append((message_id, created, type_id))
        self._older = set(_chunked(
            session, _counted(sa.select(Message.contact_id)
                              .where(Message.created_at <= at - LONGEST_CAP)).distinct(),
            Message.contact_id, ids))
        self._since_floor = at - LONGEST_CAP

    def suppressed(self, contact: Contact) -> bool:
        return (contact.phone_hmac or phone_hmac(self.key, contact.phone)) in self._suppressed

    def consent_state(self, contact_id: int, type_id: int) -> str | None:
        return self._consent.get((contact_id, type_id))

    def max_per_week(self, contact_id: int) -> int | None:
        return self._weekly.get(contact_id)

    def offers_per_week(self, contact_id: int) -> int | None:
        return self._offers.get(contact_id)

    def has_counted(self, contact_id: int, exclude_id: int | None) -> bool:
        return contact_id in self._older or any(
            m != exclude_id for m, _, _ in self._recent.get(contact_id, ()))

    def counted_since(self, contact_id: int, since: datetime, type_id: int | None,
                      exclude_id: int | None) -> list[datetime]:
        if since < self._since_floor:
            raise ValueError("BatchFacts holds only the last 7 days of messages")
        return sorted(created for m, created, t in self._recent.get(contact_id, ())
                      if created > since and m != exclude_id
                      and (type_id is None or t == type_id))


CHUNK = 500  # parameters per IN list: well under SQLite's and PostgreSQL's limits


def _chunked(session: Session, query: sa.Select, column, values: list, rows: bool = False):
    for start in range(0, len(values), CHUNK):
        part = query.where(one_of(session, column, values[start:start + CHUNK]))
        yield from (session.execute(part) if rows else session.scalars(part))
