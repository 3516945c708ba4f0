"""Revocations that arrive by other channels: an email, a phone call, a helpdesk ticket.

They are opt-out events at once (every message type, suppressed); when someone must still
act (remove the person from another system, reply to the email) a ticket opens with the
FCC's 10-business-day deadline and shows on the revocation queue until it is closed.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from core.consent import app_ledger
from core.deadlines import revocation_due
from core.models import ConsentEvent, Contact, RevocationTicket


def record_revocation(session: Session, app: Flask, contact: Contact, *, channel: str,
                      note: str, actor: str, received_at: datetime, source: str = "admin",
                      follow_up: bool = False) -> tuple[ConsentEvent, RevocationTicket | None]:
    event = app_ledger(app, session).opt_out(
        contact, None, source=source, occurred_at=received_at, actor=actor,
        source_detail=f"{channel}: {note}"[:500])
    ticket = None
    if follow_up:
        ticket = RevocationTicket(contact_id=contact.id, channel=channel, possible=False,
                                  text=note, opened_at=received_at,
                                  due_at=revocation_due(received_at))
        session.add(ticket)
        session.flush()
    return event, ticket
