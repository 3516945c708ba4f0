"""What an integration's actions do, through the same ledger, flow engine and gate as
everything else. Each returns a line for the delivery's log."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.consent import Evidence, app_ledger, proof
from core.consent.maintenance import erase_contact
from core.consent.revocations import record_revocation
from core.db import utcnow
from core.flows import conversions, engine
from core.integrations import connections, jsonable
from core.keywords import classify, vocabulary
from core.keywords.classify import OPT_OUT
from core.models import (
    Consent,
    Contact,
    Conversion,
    Disclosure,
    FlowEvent,
    FlowRun,
    Message,
    MessageType,
)
from core.phone import to_e164
from hooks import integrations as api

WAITING = ("queued", "deferred", "paused")
PURCHASE = "order.created"


class ActionRefused(ValueError):
    """The core cannot do what the mapping asks; the message says why."""


def apply(session: Session, app: Flask, integration: api.Integration,
          actions: Sequence[Any], delivery_id: int) -> list[str]:
    context = Context(session, app, integration, delivery_id)
    done = []
    for action in actions:
        handler = HANDLERS.get(type(action))
        if handler is None:
            raise ActionRefused(f"{type(action).__name__} is not an integration action")
        done.append(handler(context, action))
    return done


class Context:
    def __init__(self, session: Session, app: Flask, integration: api.Integration,
                 delivery_id: int) -> None:
        self.session, self.app, self.integration = session, app, integration
        self.source = integration.name  # a consent source of that name is declared for it
        self.actor = f"integration {integration.name} (delivery {delivery_id})"
        self.flow_source = f"integration:{integration.name}"

    def contact(self, phone: str, create: bool = True) -> Contact | None:
        e164 = to_e164(phone)
        found = self.session.scalars(sa.select(Contact).where(Contact.phone == e164)).one_or_none()
        if found is None and create:
            found = Contact(phone=e164)
            self.session.add(found)
            self.session.flush()
        return found

    def message_type(self, slug: str) -> MessageType:
        found = self.session.scalars(sa.select(MessageType).where(MessageType.slug == slug)).first()
        if found is None:
            raise ActionRefused(f"unknown message type {slug!r}")
        return found


def _upsert(context: Context, action: api.UpsertContact) -> str:
    contact = context.contact(action.phone)
    for name, limit in (("first_name", 100), ("last_name", 100), ("email", 200),
                        ("postal_code", 10)):
        value = (getattr(action, name) or "").strip()[:limit]
        if value and not getattr(contact, name):
            setattr(contact, name, value)
    if action.attributes:
        contact.attributes = {**(contact.attributes or {}), **jsonable(action.attributes)}
    if action.tags:
        contact.tags = list(dict.fromkeys([*(contact.tags or []), *action.tags]))
    context.session.flush()
    return f"contact {contact.phone} updated"


def _consent(context: Context, action: api.RecordConsent) -> str:
    contact = context.contact(action.phone)
    ledger = app_ledger(context.app, context.session)
    evidence = Evidence(ip=action.evidence.get("ip"),
                        user_agent=action.evidence.get("user_agent"),
                        page_url=action.evidence.get("page_url"))
    detail = action.detail[:500]
    if action.action == "opt_out":
        kind = None if action.message_type == "all" else context.message_type(action.message_type)
        if _already(context, contact, kind, "opted_out"):
            return f"{contact.phone} already opted out of {action.message_type}: nothing recorded"
        event = ledger.opt_out(contact, kind, source=context.source,
                               occurred_at=action.occurred_at, actor=context.actor,
                               source_detail=detail, evidence=evidence)
        return f"opt-out of {action.message_type} recorded for {contact.phone} (#{event.seq})"
    if action.action != "opt_in":
        raise ActionRefused(f"consent action {action.action!r} is not opt_in or opt_out")
    kind = context.message_type(action.message_type)
    if _already(context, contact, kind, "opted_in"):
        return f"{contact.phone} already opted in to {kind.slug}: nothing recorded"
    disclosure = None
    if action.disclosure:
        disclosure = context.session.scalars(sa.select(Disclosure).where(
            Disclosure.name == action.disclosure).order_by(Disclosure.version.desc())).first()
    if disclosure is None:
        raise ActionRefused(f"the opt-in needs the disclosure the person saw; set it in the "
                            f"{context.integration.label} connection (now "
                            f"{action.disclosure or 'none'!s})")
    event = ledger.opt_in(contact, kind, source=context.source, disclosure=disclosure,
                          occurred_at=action.occurred_at, actor=context.actor,
                          source_detail=detail, evidence=evidence)
    return f"opt-in to {kind.slug} recorded for {contact.phone} (#{event.seq})"


def _already(context: Context, contact: Contact, kind: MessageType | None, state: str) -> bool:
    """Is the current state already what the delivery says? (A shop resends its customer
    with every update; the ledger records changes, not repetitions.)"""
    query = sa.select(Consent.state).where(Consent.contact_id == contact.id)
    if kind is not None:
        query = query.where(Consent.message_type_id == kind.id)
    states = set(context.session.scalars(query))
    return bool(states) and states == {state}


def _flow_event(context: Context, action: api.FlowEvent) -> str:
    contact = context.contact(action.phone)
    when = action.occurred_at or utcnow()
    event = engine.record(context.session, context.app, action.kind, contact,
                          jsonable(action.payload), when, source=context.flow_source,
                          external_id=action.external_id, now=utcnow())
    runs = context.session.scalar(sa.select(sa.func.count()).select_from(FlowRun)
                                  .where(FlowRun.event_id == event.id))
    return f"{action.kind} for {contact.phone}: {runs} flow run(s)"


def _conversion(context: Context, action: api.Conversion) -> str:
    contact = context.contact(action.phone)
    conversion = conversions.record(
        context.session, contact, action.kind, action.occurred_at, context.flow_source,
        external_id=action.external_id, value=action.value,
        click_window=timedelta(days=action.click_window_days))
    if action.kind == PURCHASE:
        _purchases(context.session, contact, action.products)
    credit = f", credited to flow {conversion.flow_id}" if conversion.flow_id else ""
    return f"conversion {action.kind} {action.value or ''} for {contact.phone}{credit}"


def _purchases(session: Session, contact: Contact, products: Sequence[str]) -> None:
    """Segment fields from the orders recorded: count, total, last date, products."""
    count, total, last = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Conversion.value), 0),
                  sa.func.max(Conversion.occurred_at))
        .where(Conversion.contact_id == contact.id, Conversion.kind == PURCHASE)).one()
    if isinstance(last, str):  # SQLite's func.max returns the stored text
        last = datetime.fromisoformat(last)
    attributes = dict(contact.attributes or {})
    bought = list(dict.fromkeys([*attributes.get("products", []), *products]))[-50:]
    attributes.update(orders_count=int(count), total_spent=round(float(total), 2),
                      last_order_at=last.astimezone(UTC).date().isoformat() if last else None,
                      products=bought)
    contact.attributes = attributes


def _cancel(context: Context, action: api.CancelPending) -> str:
    contact = context.contact(action.phone, create=False)
    if contact is None:
        return "nothing to cancel: no such contact"
    events = [e for e in context.session.scalars(sa.select(FlowEvent).where(
        FlowEvent.contact_id == contact.id)) if _refers(e.payload, action.reference)]
    stopped = held = 0
    for event in events:
        for run in context.session.scalars(sa.select(FlowRun).where(
                FlowRun.event_id == event.id, FlowRun.status == "waiting")):
            run.status, run.next_at = "stopped", None
            run.reason = f"cancelled: {action.reason}"[:1000]
            stopped += 1
        result = context.session.execute(
            sa.update(Message).where(Message.idempotency_key.like(f"flow:%:event:{event.id}:%"),
                                     Message.status.in_(WAITING))
            .values(status="blocked", block_reasons=[f"cancelled: {action.reason}"])
            .execution_options(synchronize_session=False))
        held += result.rowcount or 0
    return f"{stopped} flow run(s) stopped and {held} text(s) held: {action.reason}"


def _refers(payload: dict[str, Any] | None, reference: dict[str, str]) -> bool:
    return bool(payload) and all(str(payload.get(k)) == str(v) for k, v in reference.items())


def _revocation(context: Context, action: api.Revocation) -> str:
    contact = context.contact(action.phone, create=False)
    if contact is None:
        return "no such contact: nothing to revoke"
    result = classify(action.text, vocabulary.load(context.session))
    if result.kind != OPT_OUT:
        return f"the text is not a request to stop ({result.kind}): left to the agent"
    _, ticket = record_revocation(context.session, context.app, contact,
                                  channel=action.channel, note=action.note[:500],
                                  actor=context.actor, received_at=utcnow(),
                                  source=context.source, follow_up=True)
    return (f"revocation recorded for {contact.phone} (\"{result.matched}\"); follow-up "
            f"ticket {ticket.id} due {ticket.due_at:%Y-%m-%d}")


def _erase(context: Context, action: api.EraseContact) -> str:
    contact = context.contact(action.phone, create=False)
    if contact is None:
        return "no such contact: nothing to erase"
    erase_contact(context.session, contact, context.actor)
    return f"personal data erased ({action.reason}); consent events and suppression kept"


def _export(context: Context, action: api.ExportContact) -> str:
    contact = context.contact(action.phone, create=False)
    if contact is None:
        return f"data request ({action.reason}): no record of this number"
    document = proof.build(context.session, contact.phone, context.app.config["SUPPRESSION_KEY"])
    return f"data request ({action.reason}): " + json.dumps(document, default=str)[:15000]


def _disconnect(context: Context, action: api.Disconnect) -> str:
    connection = connections.find(context.session, context.integration.name)
    if connection is not None:
        connection.settings, connection.secrets, connection.enabled = {}, None, False
    from core.integrations.outgoing import forget_connections

    forget_connections(context.app)
    return f"connection removed ({action.reason}); contacts and consent history kept"


HANDLERS: dict[type, Callable[[Context, Any], str]] = {
    api.UpsertContact: _upsert, api.RecordConsent: _consent, api.FlowEvent: _flow_event,
    api.Conversion: _conversion, api.CancelPending: _cancel, api.Revocation: _revocation,
    api.EraseContact: _erase, api.ExportContact: _export, api.Disconnect: _disconnect,
}
