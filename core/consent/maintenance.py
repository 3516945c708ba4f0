"""Rebuild the derived consent state from the events, and erase a person's personal data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import audit
from core.consent.ledger import fold, state_after
from core.db import utcnow
from core.models import (
    Consent,
    ConsentDocument,
    ConsentEvent,
    ConsentEvidence,
    Contact,
    FormSubmission,
    Message,
    MessageType,
    PreferenceEvent,
)
from core.models.guard import allow_writes


@dataclass
class Drift:
    checked_contacts: int = 0
    differences: list[str] = field(default_factory=list)


def rebuild(session: Session, fix: bool = True) -> Drift:
    """Recompute every contact's state from its events; report (and fix) what differs."""
    type_ids = session.scalars(sa.select(MessageType.id)).all()
    events_by_contact: dict[int, list[ConsentEvent]] = defaultdict(list)
    for event in session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq)):
        events_by_contact[event.contact_id].append(event)
    stored: dict[int, dict[int, Consent]] = defaultdict(dict)
    for row in session.scalars(sa.select(Consent)):
        stored[row.contact_id][row.message_type_id] = row
    drift = Drift()
    with allow_writes(session, "Consent.*"):
        for contact_id in sorted(set(events_by_contact) | set(stored)):
            drift.checked_contacts += 1
            expected = fold(events_by_contact.get(contact_id, []), type_ids)
            current = stored.get(contact_id, {})
            for type_id in sorted(set(expected) | set(current)):
                _compare(session, drift, contact_id, type_id, expected.get(type_id),
                         current.get(type_id), fix)
        session.flush()
    return drift


def _compare(session, drift, contact_id, type_id, event, row, fix) -> None:
    if event is None:
        drift.differences.append(f"contact {contact_id} type {type_id}: state without events")
        if fix:
            session.delete(row)
        return
    state = state_after(event)
    if row is not None and (row.state, row.last_event_id) == (state, event.id):
        return
    found = f"{row.state} (event {row.last_event_id})" if row else "missing"
    drift.differences.append(
        f"contact {contact_id} type {type_id}: {found}, events say {state} (event {event.id})"
    )
    if fix:
        row = row or Consent(contact_id=contact_id, message_type_id=type_id)
        row.state, row.since, row.last_event_id = state, event.occurred_at, event.id
        session.add(row)


PERSONAL_EVIDENCE = ("nonce", "phone", "first_name", "last_name", "email", "ip", "user_agent",
                     "keyword_text")


def erase_contact(session: Session, contact: Contact, actor: str) -> None:
    """Erase a person's personal data, keeping every event and any suppression.

    Events stay (they prove what happened, when, from which source, under which
    disclosure); the evidence rows lose their personal fields and nonce, so the
    stored ``personal_hash`` can no longer be linked back to the person. The
    suppression list holds an HMAC of the number, so a suppressed number stays blocked.
    """
    now = utcnow()
    session.execute(
        sa.update(ConsentEvidence)
        .where(ConsentEvidence.event_id.in_(
            sa.select(ConsentEvent.id).where(ConsentEvent.contact_id == contact.id)))
        .values({**{name: None for name in PERSONAL_EVIDENCE}, "erased_at": now})
    )
    session.execute(
        sa.update(Message).where(Message.contact_id == contact.id).values(phone="", body="")
    )
    # What capture kept about the person: the browser behind a form submission or a
    # preference change, and the signed paper form itself (its SHA-256 stays in the chain).
    session.execute(sa.update(FormSubmission).where(FormSubmission.contact_id == contact.id)
                    .values(ip=None, user_agent=None))
    session.execute(sa.update(PreferenceEvent).where(PreferenceEvent.contact_id == contact.id)
                    .values(ip=None, user_agent=None))
    scans = sa.select(ConsentEvent.document_hash).where(
        ConsentEvent.contact_id == contact.id, ConsentEvent.document_hash.is_not(None))
    session.execute(sa.update(ConsentDocument).where(ConsentDocument.sha256.in_(scans))
                    .values(data=None))
    session.execute(
        sa.update(Contact).where(Contact.id == contact.id).values(
            phone=None, phone_hmac=None, first_name=None, last_name=None, email=None, tags=[],
            attributes={}, postal_code=None, state=None,
            erased_at=now,
        )
    )
    session.expire(contact)
    audit.record(session, actor, "erase", contact, before={"contact_id": contact.id},
                 after={"erased_at": now.isoformat()})
