"""What an inbound text does to consent: the consent half of the inbound journey.

``receive`` stores the message, classifies it and, in the same transaction, records the
ledger event, opens a review ticket, or queues the one reply the rules allow. Sending
the reply is the outbox's job (the sending pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.capture import forms
from core.consent import Evidence, app_ledger
from core.consent.ledger import impossible_time
from core.consent.suppression import is_suppressed
from core.db import utcnow
from core.deadlines import revocation_due
from core.gate.check import Outgoing, gate_for
from core.keywords import classify, normalize, replies, vocabulary
from core.keywords.classify import HELP, OPT_IN, OPT_OUT, REVIEW, Classification
from core.models import (
    Campaign,
    Consent,
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
# The generic words that may start consent for someone never opted in (YES may not).
FIRST_OPT_IN_WORDS = frozenset({"start", "unstop"})
SCOPE_QUESTION = "To stop only promotions and keep other messages from us, reply 1."
SCOPE_ANSWER = "1"
SCOPE_ANSWER_WINDOW = timedelta(hours=24)
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
            provider_replied: bool = False) -> Outcome:
    """Record what ``inbound`` means. ``provider_replied``: the vendor already answered this
    STOP/HELP/START itself (e.g. Twilio Advanced Opt-Out), so the core sends no second reply."""
    now = utcnow()
    if impossible_time(inbound.sent_at, now):
        # A provider clock far ahead (or garbage): the message was sent by the time it
        # reached us. Dated next year, a START would outrank every STOP until then.
        inbound = replace(inbound, sent_at=now)
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
    message = Message(direction="in", status="received", contact_id=contact.id, phone=phone,
                      sender_id=sender.id if sender else None, body=inbound.body,
                      provider=inbound.provider, provider_message_id=inbound.provider_message_id,
                      idempotency_key=key, created_at=inbound.sent_at,
                      campaign_id=campaign.id if campaign else None)
    session.add(message)
    session.flush()
    scope = _open_scope_question(session, contact, inbound.sent_at)
    if scope is not None and normalize(inbound.body) == SCOPE_ANSWER:
        return _narrow_revocation(session, app, message, contact, scope, campaign, brand)
    result = classify(inbound.body, vocabulary.load(session, campaign))
    outcome = Outcome(result, message)
    evidence = Evidence(keyword_text=inbound.body,
                        provider_message_id=inbound.provider_message_id)
    ledger = app_ledger(app, session)
    if result.kind == OPT_OUT:
        forms.cancel_pending(session, contact)  # a STOP withdraws a form awaiting its Y
    else:
        pending = forms.pending_for(session, contact, inbound.sent_at)
        if pending is not None and forms.is_confirmation(inbound.body):
            return _confirm_form(session, app, outcome, pending, message, provider_replied)
    _record_flow_events(session, app, contact, message, result)
    if result.kind == OPT_OUT and _named_types(session, result):
        outcome.event, outcome.reply = _scoped_opt_out(
            session, app, ledger, contact, message, result, evidence, campaign, brand,
            provider_replied)
    elif result.kind == OPT_OUT:
        already_out = is_suppressed(session, app.config["SUPPRESSION_KEY"], phone)
        outcome.event = ledger.opt_out(contact, None, source="keyword", actor="inbound SMS",
                                       occurred_at=inbound.sent_at, source_detail=result.matched,
                                       evidence=evidence,
                                       campaign_id=campaign.id if campaign else None)
        if not already_out and not provider_replied:
            body = replies.stop_reply(brand)
            if campaign is not None and campaign.stop_asks_scope and _other_types(session, contact):
                body = f"{body} {SCOPE_QUESTION}"
                outcome.ticket = RevocationTicket(
                    contact_id=contact.id, message_id=message.id, channel="sms", kind="scope",
                    text=inbound.body, opened_at=inbound.sent_at,
                    due_at=inbound.sent_at + SCOPE_ANSWER_WINDOW)
                session.add(outcome.ticket)
            outcome.reply = _reply(session, app, message, body,
                                   expires_after=STOP_CONFIRMATION_WINDOW)
    elif result.kind == HELP:
        if not provider_replied:
            outcome.reply = _reply(session, app, message, replies.help_reply(brand, campaign))
    elif result.kind == OPT_IN:
        types = _opt_in_types(session, contact, result, campaign)
        if not types:
            # "YES" from someone who never opted in answers something else (an appointment
            # question); only a keyword the campaign advertises can start consent.
            session.flush()
            return outcome
        disclosure = keyword_disclosure(session, campaign, brand)
        for message_type in types:
            outcome.event = ledger.opt_in(
                contact, message_type, source="keyword", disclosure=disclosure,
                occurred_at=inbound.sent_at, actor="inbound SMS", source_detail=result.matched,
                evidence=evidence, campaign_id=campaign.id if campaign else None)
        if not provider_replied:
            outcome.reply = _reply(session, app, message, replies.opt_in_reply(brand, campaign))
    elif result.kind == REVIEW:
        outcome.ticket = RevocationTicket(contact_id=contact.id, message_id=message.id,
                                          channel="sms", possible=True, text=inbound.body,
                                          matched=result.matched,
                                          due_at=revocation_due(inbound.sent_at))
        session.add(outcome.ticket)
    session.flush()
    return outcome


def _confirm_form(session: Session, app: Flask, outcome: Outcome, pending, message: Message,
                  provider_replied: bool) -> Outcome:
    """The Y that a hosted form's double opt-in asked for: the opt-in is recorded now, and
    confirmed once, like a keyword opt-in."""
    forms.confirm(session, app, pending, message)
    campaign = pending.form.campaign
    if not provider_replied:
        outcome.reply = _reply(session, app, message, replies.opt_in_reply(campaign.brand,
                                                                           campaign))
    session.flush()
    return outcome


def _open_scope_question(session: Session, contact: Contact,
                         at: datetime) -> RevocationTicket | None:
    return session.scalars(sa.select(RevocationTicket).where(
        RevocationTicket.contact_id == contact.id, RevocationTicket.kind == "scope",
        RevocationTicket.status == "open", RevocationTicket.due_at >= at)
        .order_by(RevocationTicket.id.desc())).first()


def _other_types(session: Session, contact: Contact) -> list[MessageType]:
    """The non-marketing types the person had opted in to: what "stop only promotions" keeps."""
    return [t for t in _previous_opt_in_types(session, contact) if t.slug != DEFAULT_OPT_IN_TYPE]


def _narrow_revocation(session, app, message, contact, ticket, campaign, brand) -> Outcome:
    """The person answered "1": the STOP covers promotions only; the other types come back,
    proven by this answer to the question they were asked."""
    disclosure = _versioned_disclosure(
        session, f"STOP scope question: {campaign.name}" if campaign else "STOP scope question",
        f"{replies.stop_reply(brand)} {SCOPE_QUESTION}")
    ledger = app_ledger(app, session)
    outcome = Outcome(None, message, ticket=ticket)
    for message_type in _other_types(session, contact):
        outcome.event = ledger.opt_in(
            contact, message_type, source="keyword", disclosure=disclosure,
            occurred_at=message.created_at, actor="inbound SMS", source_detail="scope answer 1",
            evidence=Evidence(keyword_text=message.body,
                              provider_message_id=message.provider_message_id),
            campaign_id=campaign.id if campaign else None)
    ticket.status, ticket.resolved_by, ticket.resolved_at = "answered", "inbound SMS", message.created_at
    name = brand.public_name if brand else "This program"
    outcome.reply = _reply(session, app, message,
                           f"{name}: You will get no more promotions. Other messages continue. "
                           "Reply STOP to stop everything.")
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


def _previous_opt_in_types(session: Session, contact: Contact) -> list[MessageType]:
    return list(session.scalars(
        sa.select(MessageType).join(ConsentEvent, ConsentEvent.message_type_id == MessageType.id)
        .where(ConsentEvent.contact_id == contact.id, ConsentEvent.action == "opt_in")
        .distinct().order_by(MessageType.id)
    ))


def _opt_in_types(session: Session, contact: Contact, result: Classification,
                  campaign: Campaign | None) -> list[MessageType]:
    """START brings back what the person had before opting out. A first opt-in (marketing)
    needs a word that asks to join: the campaign's own keyword, START, or a sentence such as
    "sign me up"; a bare YES from someone never opted in starts nothing."""
    previous = _previous_opt_in_types(session, contact)
    if previous:
        return previous
    advertised = {normalize(k) for k in (campaign.opt_in_keywords or [])} if campaign else set()
    if result.matched in FIRST_OPT_IN_WORDS or result.matched in advertised or result.rule:
        return [session.scalars(sa.select(MessageType).filter_by(slug=DEFAULT_OPT_IN_TYPE)).one()]
    return []


def _named_types(session: Session, result: Classification) -> list[MessageType]:
    if not result.message_types:
        return []
    return list(session.scalars(sa.select(MessageType).where(
        MessageType.slug.in_(result.message_types)).order_by(MessageType.id)))


def _scoped_opt_out(session, app, ledger, contact, message, result, evidence, campaign, brand,
                    provider_replied) -> tuple[ConsentEvent, Message | None]:
    """A revocation that names message types ("no more promos") stops those types only, and
    is confirmed once, saying which."""
    types = _named_types(session, result)
    already_out = all(session.scalar(sa.select(Consent.state).where(
        Consent.contact_id == contact.id, Consent.message_type_id == t.id)) == "opted_out"
        for t in types)
    event = None
    for message_type in types:
        event = ledger.opt_out(contact, message_type, source="keyword", actor="inbound SMS",
                               occurred_at=message.created_at, source_detail=result.matched,
                               evidence=evidence, campaign_id=campaign.id if campaign else None)
    reply = None
    if not already_out and not provider_replied:
        reply = _reply(session, app, message,
                       replies.scoped_stop_reply(brand, [t.name for t in types]),
                       expires_after=STOP_CONFIRMATION_WINDOW)
    return event, reply


def _record_flow_events(session: Session, app: Flask, contact: Contact, message: Message,
                        result: Classification) -> None:
    """A reply a flow acts on ("cancel my appointment") becomes that flow event."""
    from core.flows import engine

    catalogue = engine.event_types(app)
    for kind in result.events:
        if kind not in catalogue:
            continue
        try:
            engine.record(session, app, kind, contact,
                          {"text": message.body, "message_id": message.id},
                          message.created_at, source="sms",
                          external_id=f"{message.idempotency_key}:{kind}")
        except engine.FlowError as error:
            app.logger.warning("inbound %s: flow event %s not recorded: %s", message.id, kind,
                               error)


def keyword_disclosure(session: Session, campaign: Campaign | None, brand) -> Disclosure:
    """The disclosure a keyword opt-in cites: the campaign's published opt-in terms, versioned."""
    name = f"Keyword opt-in: {campaign.name}" if campaign else "Keyword opt-in"
    text = replies.opt_in_reply(brand, campaign)
    if campaign is not None and campaign.message_flow:
        text = f"{campaign.message_flow}\n\nConfirmation sent: {text}"
    return _versioned_disclosure(session, name, text)


def _versioned_disclosure(session: Session, name: str, text: str) -> Disclosure:
    """The latest version of ``name`` if its text is ``text``, else a new version."""
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
