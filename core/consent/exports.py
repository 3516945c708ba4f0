"""CSV exports of the consent state and of the events, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from core.csvsafe import neutralise
from core.models import Consent, ConsentEvent, ConsentEvidence, Contact, Disclosure, MessageType

STATE_COLUMNS = ("phone", "first_name", "last_name", "message_type", "state", "since",
                 "source", "source_detail", "disclosure", "disclosure_version", "event_seq")
EVENT_COLUMNS = ("seq", "occurred_at", "recorded_at", "phone", "message_type", "action",
                 "source", "source_detail", "disclosure", "disclosure_version",
                 "disclosure_sha256", "page_url", "document_url", "ip", "user_agent",
                 "keyword_text", "actor", "erased_at", "hash")


def _iso(value):
    return value.isoformat() if value is not None else ""


def write_state(session: Session, out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(STATE_COLUMNS)
    query = (
        sa.select(Contact.phone, Contact.first_name, Contact.last_name, MessageType.slug,
                  Consent.state, Consent.since, ConsentEvent.source, ConsentEvent.source_detail,
                  Disclosure.name, Disclosure.version, ConsentEvent.seq)
        .join(Contact, Contact.id == Consent.contact_id)
        .join(MessageType, MessageType.id == Consent.message_type_id)
        .join(ConsentEvent, ConsentEvent.id == Consent.last_event_id)
        .outerjoin(Disclosure, Disclosure.id == ConsentEvent.disclosure_id)
        .where(Contact.erased_at.is_(None))
        .order_by(Contact.phone, MessageType.slug)
        .execution_options(yield_per=5000)
    )
    count = 0
    for row in session.execute(query):
        values = list(row)
        values[5] = _iso(values[5])
        writer.writerow([neutralise(v) for v in values])
        count += 1
    return count


def write_events(session: Session, out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(EVENT_COLUMNS)
    kind = aliased(MessageType)
    query = (
        sa.select(ConsentEvent, ConsentEvidence, kind.slug, Disclosure.name, Disclosure.version)
        .join(ConsentEvidence, ConsentEvidence.event_id == ConsentEvent.id)
        .outerjoin(kind, kind.id == ConsentEvent.message_type_id)
        .outerjoin(Disclosure, Disclosure.id == ConsentEvent.disclosure_id)
        .order_by(ConsentEvent.seq)
        .execution_options(yield_per=5000)
    )
    count = 0
    for event, evidence, slug, name, version in session.execute(query):
        writer.writerow([neutralise(v) for v in (
            event.seq, _iso(event.occurred_at), _iso(event.recorded_at), evidence.phone or "",
            slug or "all", event.action, event.source, event.source_detail, name, version,
            event.disclosure_hash, event.page_url, event.document_url, evidence.ip,
            evidence.user_agent, evidence.keyword_text, event.actor, _iso(evidence.erased_at),
            event.hash)])
        count += 1
    return count
