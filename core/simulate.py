"""The two simulators (keyword classifier and gate), shared by the CLI and the admin pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.db import utcnow
from core.gate.check import Outgoing, gate_for
from core.keywords import classify, replies, vocabulary
from core.keywords.classify import HELP, OPT_IN, OPT_OUT
from core.models import Campaign, Contact, MessageType, Sender
from core.phone import to_e164


class SimulationError(ValueError):
    pass


def classify_text(session: Session, text: str, campaign_id: int | None = None) -> dict[str, Any]:
    campaign = session.get(Campaign, campaign_id) if campaign_id else None
    if campaign_id and campaign is None:
        raise SimulationError(f"No campaign with id {campaign_id}.")
    brand = campaign.brand if campaign else None
    result = classify(text, vocabulary.load(session, campaign))
    named = [t.name for t in session.scalars(sa.select(MessageType).where(
        MessageType.slug.in_(result.message_types)).order_by(MessageType.id))]
    reply = {
        OPT_OUT: lambda: (replies.scoped_stop_reply(brand, named) if named
                          else replies.stop_reply(brand)),
        HELP: lambda: replies.help_reply(brand, campaign),
        OPT_IN: lambda: replies.opt_in_reply(brand, campaign),
    }.get(result.kind, lambda: None)()
    return {"text": text, "normalized": result.normalized, "class": result.kind,
            "matched": result.matched, "reason": result.reason, "rule": result.rule,
            "message_types": list(result.message_types), "events": list(result.events),
            "reply": reply, "campaign": campaign.name if campaign else None}


def gate_check(session: Session, app: Flask, phone: str, type_slug: str,
               at: datetime | None = None, body: str | None = None,
               sender_address: str | None = None) -> dict[str, Any]:
    e164 = to_e164(phone)
    message_type = session.scalars(sa.select(MessageType).filter_by(slug=type_slug)).one_or_none()
    if message_type is None:
        known = ", ".join(session.scalars(sa.select(MessageType.slug).order_by(MessageType.slug)))
        raise SimulationError(f"No message type {type_slug!r} (known: {known}).")
    query = sa.select(Sender).order_by(Sender.id)
    if sender_address:
        query = query.where(Sender.address == sender_address)
    sender = session.scalars(query).first()
    brand = sender.campaign.brand if sender and sender.campaign else None
    contact = session.scalars(sa.select(Contact).filter_by(phone=e164)).one_or_none()
    known_contact = contact is not None
    contact = contact or Contact(phone=e164, attributes={})
    if body is None:
        name = brand.public_name if brand else "Your brand"
        body = f"{name}: this is a sample message. Reply STOP to opt out."
    at = at or utcnow()
    if at.tzinfo is None:
        raise SimulationError("--at needs a time zone, e.g. 2026-11-23T21:30:00-05:00")
    outgoing = Outgoing(contact=contact, message_type=message_type, body=body, sender=sender,
                        brand=brand)
    with session.no_autoflush:
        decision = gate_for(app).check(session, outgoing, at)
    session.expunge(contact) if not known_contact and contact in session else None
    return {"phone": e164, "message_type": type_slug, "at": at.isoformat(),
            "known_contact": known_contact, "sender": sender.address if sender else None,
            "body": body, **decision.as_dict()}
