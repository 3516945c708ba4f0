"""Everything about one person, as support sees it: consent per type with its source,
suppression, the consent timeline, the conversation, clicks, conversions, open tickets.

Read-only queries shared by the contact page (and, later, the API); nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from core.consent.suppression import find as find_suppression
from core.models import (
    Click,
    Consent,
    ConsentEvent,
    Contact,
    Conversion,
    FlowEvent,
    FlowRun,
    Link,
    Message,
    MessageType,
    RevocationTicket,
)

CONVERSATION = 200  # the most recent texts shown


@dataclass
class TypeConsent:
    message_type: MessageType
    state: str  # opted_in, opted_out, or none
    since: datetime | None = None
    event: ConsentEvent | None = None


@dataclass
class Story:
    contact: Contact
    consents: list[TypeConsent]
    suppressed_since: datetime | None
    timeline: list[ConsentEvent]
    conversation: list[Message]
    clicks: list[Any]
    conversions: list[Conversion]
    tickets: list[RevocationTicket]
    runs: list[FlowRun] = field(default_factory=list)
    events: list[FlowEvent] = field(default_factory=list)  # orders, bookings, tickets...

    @property
    def opted_out_at(self) -> datetime | None:
        outs = [c.since for c in self.consents if c.state == "opted_out" and c.since]
        return max(outs) if outs else None


def story(session: Session, contact: Contact, suppression_key: str) -> Story:
    states = {row.message_type_id: row for row in session.scalars(
        sa.select(Consent).where(Consent.contact_id == contact.id))}
    deciding = {e.id: e for e in session.scalars(
        sa.select(ConsentEvent).where(ConsentEvent.id.in_(
            [row.last_event_id for row in states.values() if row.last_event_id]))
        .options(selectinload(ConsentEvent.disclosure)))}
    consents = []
    for kind in session.scalars(sa.select(MessageType).order_by(MessageType.id)):
        row = states.get(kind.id)
        consents.append(TypeConsent(kind, row.state if row else "none",
                                    row.since if row else None,
                                    deciding.get(row.last_event_id) if row else None))
    suppression = find_suppression(session, suppression_key, contact.phone) \
        if contact.phone else None
    timeline = session.scalars(
        sa.select(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
        .options(selectinload(ConsentEvent.disclosure), selectinload(ConsentEvent.message_type))
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.seq.desc())).all()
    conversation = list(reversed(session.scalars(
        sa.select(Message).where(Message.contact_id == contact.id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(CONVERSATION)).all()))
    clicks = session.execute(
        sa.select(Click.clicked_at, Link.destination, Click.message_id)
        .join(Link, Link.id == Click.link_id).where(Click.contact_id == contact.id)
        .order_by(Click.clicked_at.desc()).limit(50)).all()
    conversions = session.scalars(
        sa.select(Conversion).where(Conversion.contact_id == contact.id)
        .order_by(Conversion.occurred_at.desc()).limit(50)).all()
    tickets = session.scalars(
        sa.select(RevocationTicket).where(RevocationTicket.contact_id == contact.id,
                                          RevocationTicket.status == "open")
        .order_by(RevocationTicket.due_at)).all()
    runs = session.scalars(
        sa.select(FlowRun).where(FlowRun.contact_id == contact.id)
        .order_by(FlowRun.created_at.desc()).limit(20)).all()
    events = session.scalars(
        sa.select(FlowEvent).where(FlowEvent.contact_id == contact.id)
        .order_by(FlowEvent.occurred_at.desc(), FlowEvent.id.desc()).limit(30)).all()
    return Story(contact, consents, suppression.since if suppression else None, list(timeline),
                 conversation, list(clicks), list(conversions), list(tickets), list(runs),
                 list(events))
