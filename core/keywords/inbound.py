"""What an inbound text does to consent: the consent half of the inbound journey.

``receive`` stores the message, classifies it and, in the same transaction, records the
ledger event, opens a review ticket, or queues the one reply the rules allow. Sending
the reply is the outbox's job (the sending pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.consent import Evidence, app_ledger
from core.consent.suppression import is_suppressed
from core.deadlines import revocation_due
from core.gate.check import Outgoing, gate_for
from core.keywords import classify, replies, vocabulary
from core.keywords.classify import HELP, OPT_IN, OPT_OUT, REVIEW, Classification
from core.models import (
    Campaign,
    ConsentEvent,
    Contact,
    Disclosure,
    Message,
    MessageType,
    RevocationTicket,
    Sender,
    text_hash,
)
from core.phone import to_e164
from core.sending import outbox

DEFAULT_OPT_IN_TYPE = "marketing"
# The FCC allows one confirmation of a revocation, sent within 5 minutes; later, none at all.
STOP_CONFIRMATION_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Inbound:
    from_phone: str
    to_phone: str
    body: str
    provider: str
    provider_message_id: str
    sent_at: datetime


@dataclass
class Outcome:
    classification: Classification | None
    message: Message | None
    event: ConsentEvent | None = None
    reply: Message | None = None
    ticket: RevocationTicket | None = None
    duplicate: bool = False


def receive(session: Session, app: Flask, inbound: Inbound,
            provider_replies_to_stop: bool = False) -> Outcome:
    key = f"in:{inbound.provider}:{inbound.provider_message_id}"
    if session.scalar(sa.select(Message.id).where(Message.idempotency_key == key)):
        return Outcome(None, None, duplicate=True)
    phone = to_e164(inbound.from_phone)
    contact = session.scalars(sa.select(Contact).where(Contact.phone == phone)).one_or_none()
    if contact is None:
        contact = Contact(phone=phone)
        session.add(contact)
        session.flush()
    sender = session.scalars(sa.select(Sender).where(Sender.address == inbound.to_phone)).first()
    campaign = sender.campaign if sender else None
    brand = campaign.brand if campaign else None
    result = classify(inbound.body, vocabulary.load(session, campaign))
    message = Message(direction="in", status="received", contact_id=contact.id, phone=phone,
                      sender_id=sender.id if sender else None, body=inbound.body,
                      provider=inbound.provider, provider_message_id=inbound.provider_message_id,
                      idempotency_key=key, created_at=inbound.sent_at,
                      campaign_id=campaign.id if campaign else None)
    session.add(message)
    session.flush()
    outcome = Outcome(result, message)
    evidence = Evidence(keyword_text=inbound.body,
                        provider_message_id=inbound.provider_message_id)
    ledger = app_ledger(app, session)
    if result.kind == OPT_OUT:
        already_out = is_suppressed(session, app.config["SUPPRESSION_KEY"], phone)
        outcome.event = ledger.opt_out(contact, None, source="keyword", actor="inbound SMS",
                                       occurred_at=inbound.sent_at, source_detail=result.matched,
                                       evidence=evidence,
                                       campaign_id=campaign.id if campaign else None)
        if not already_out and not provider_replies_to_stop:
            outcome.reply = _reply(session, app, message, replies.stop_reply(brand),
                                   expires_after=STOP_CONFIRMATION_WINDOW)
    elif result.kind == HELP:
        outcome.reply = _reply(session, app, message, replies.help_reply(brand, campaign))
    elif result.kind == OPT_IN:
        disclosure = keyword_disclosure(session, campaign, brand)
        for message_type in _opt_in_types(session, contact):
            outcome.event = ledger.opt_in(
                contact, message_type, source="keyword", disclosure=disclosure,
                occurred_at=inbound.sent_at, actor="inbound SMS", source_detail=result.matched,
                evidence=evidence, campaign_id=campaign.id if campaign else None)
        outcome.reply = _reply(session, app, message, replies.opt_in_reply(brand, campaign))
    elif result.kind == REVIEW:
        outcome.ticket = RevocationTicket(contact_id=contact.id, message_id=message.id,
                                          channel="sms", possible=True, text=inbound.body,
                                          matched=result.matched,
                                          due_at=revocation_due(inbound.sent_at))
        session.add(outcome.ticket)
    session.flush()
    return outcome


def _reply(session: Session, app: Flask, inbound_message: Message, body: str,
           expires_after: timedelta | None = None) -> Message:
    """The reply the rules require, through the outbox and the gate like any message."""
    support = session.scalars(sa.select(MessageType).filter_by(slug="support")).first()
    expires_at = inbound_message.created_at + expires_after if expires_after else None
    outgoing = Outgoing(contact=inbound_message.contact, message_type=support, body=body,
                        sender=inbound_message.sender, brand=None, compliance_reply=True,
                        expires_at=expires_at)
    return outbox.enqueue(session, gate_for(app), outgoing,
                          key=f"reply:{inbound_message.idempotency_key}",
                          at=inbound_message.created_at, campaign_id=inbound_message.campaign_id)


def _opt_in_types(session: Session, contact: Contact) -> list[MessageType]:
    """START brings back what the person had before opting out; a first opt-in is marketing."""
    previous = session.scalars(
        sa.select(MessageType).join(ConsentEvent, ConsentEvent.message_type_id == MessageType.id)
        .where(ConsentEvent.contact_id == contact.id, ConsentEvent.action == "opt_in")
        .distinct()
    ).all()
    if previous:
        return list(previous)
    return [session.scalars(sa.select(MessageType).filter_by(slug=DEFAULT_OPT_IN_TYPE)).one()]


def keyword_disclosure(session: Session, campaign: Campaign | None, brand) -> Disclosure:
    """The disclosure a keyword opt-in cites: the campaign's published opt-in terms, versioned."""
    name = f"Keyword opt-in: {campaign.name}" if campaign else "Keyword opt-in"
    text = replies.opt_in_reply(brand, campaign)
    if campaign is not None and campaign.message_flow:
        text = f"{campaign.message_flow}\n\nConfirmation sent: {text}"
    versions = session.scalars(sa.select(Disclosure).where(Disclosure.name == name)
                               .order_by(Disclosure.version.desc())).all()
    if versions and versions[0].content_hash == text_hash(text):
        return versions[0]
    disclosure = Disclosure(name=name, version=(versions[0].version + 1) if versions else 1,
                            text=text)
    session.add(disclosure)
    session.flush()
    return disclosure


__all__ = ["Inbound", "Outcome", "receive"]
