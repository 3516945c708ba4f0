"""A person's consent at a glance, for another system's sidebar: what they may be texted
now, whether the number is suppressed, and the last consent events with their sources."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.consent.suppression import is_suppressed
from core.models import Consent, ConsentEvent, Contact, MessageType, RevocationTicket

SHOWN = 20


def status(session: Session, app: Flask, phone: str) -> dict[str, Any]:
    contact = session.scalars(sa.select(Contact).where(Contact.phone == phone)).one_or_none()
    answer: dict[str, Any] = {
        "phone": phone, "known": contact is not None,
        "suppressed": is_suppressed(session, app.config["SUPPRESSION_KEY"], phone),
        "consent": {}, "history": [], "open_revocation_tickets": 0}
    if contact is None:
        return answer
    for state, since, slug in session.execute(
            sa.select(Consent.state, Consent.since, MessageType.slug).join(MessageType)
            .where(Consent.contact_id == contact.id).order_by(MessageType.slug)):
        answer["consent"][slug] = {"state": state, "since": since.isoformat()}
    events = session.scalars(sa.select(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
                             .order_by(ConsentEvent.occurred_at.desc()).limit(SHOWN))
    answer["history"] = [{"at": e.occurred_at.isoformat(), "action": e.action,
                          "message_type": e.message_type.slug if e.message_type else "all",
                          "source": e.source, "detail": e.source_detail} for e in events]
    answer["open_revocation_tickets"] = session.scalar(
        sa.select(sa.func.count()).select_from(RevocationTicket).where(
            RevocationTicket.contact_id == contact.id, RevocationTicket.status == "open"))
    return answer
