"""Trying a flow from the admin: a test text to a staff phone, a run for one contact, and a
conversion recorded by hand. All of it goes through the same renderer, outbox and gate as
real traffic; test texts are labelled so reports leave them out.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.db import utcnow
from core.flows import conversions, engine, links, templates
from core.gate.check import Outgoing, gate_for
from core.models import Contact, Conversion, Flow, FlowEvent, FlowRun, Message, Sender
from core.phone import to_e164
from core.sending import outbox


class TryOutError(ValueError):
    """Something the person asked for cannot be done; the message says why, plainly."""


def message_steps(flow: Flow) -> list[tuple[int, str]]:
    """``(index, text)`` of each step that sends a text."""
    return [(i, step["send"]) for i, step in enumerate(flow.steps or []) if "send" in step]


def sample_payload(app: Flask, flow: Flow) -> dict[str, Any]:
    """Example values for the fields of the flow's trigger event."""
    spec = engine.event_types(app).get(flow.trigger)
    payload: dict[str, Any] = {}
    for name in spec.fields if spec else ():
        payload[name] = {"url": "https://bloomandbranch.example", "offer": "20% off this week",
                         "total": "49.00"}.get(name, f"test-{name}")
    if spec and spec.time_field:
        payload[spec.time_field] = utcnow().replace(microsecond=0).isoformat()
    return payload


def send_test(session: Session, app: Flask, flow: Flow, step_index: int, phone: str,
              actor: str, payload: dict[str, Any] | None = None) -> Message:
    """One step's text to ``phone``, rendered for that person, judged by the gate like any
    text (so a phone that never opted in is blocked, with the reason) and labelled a test."""
    steps = dict(message_steps(flow))
    if step_index not in steps:
        raise TryOutError("Choose one of the flow's message steps.")
    e164 = to_e164(phone)
    contact = session.scalars(sa.select(Contact).where(Contact.phone == e164)).one_or_none()
    if contact is None:
        contact = Contact(phone=e164, first_name="Test", tags=["staff"])
        session.add(contact)
        session.flush()
    brand = flow.campaign.brand if flow.campaign else None
    sender = _sender(session, flow)
    payload = payload or sample_payload(app, flow)
    step = flow.steps[step_index]
    base = links.link_base(app, brand)
    try:
        body = templates.render(steps[step_index], templates.Context(
            brand=brand.public_name if brand else "",
            support_phone=brand.support_phone if brand else None,
            first_name=contact.first_name, last_name=contact.last_name,
            timezone=contact.timezone or "America/New_York", moment=_moment(app, flow, payload),
            offer=step.get("offer") or payload.get("offer"), event=payload,
            link=lambda: f"{base.rstrip('/')}/l/TEST",
            preferences_link=lambda: _preferences_url(session, app, brand, contact, flow)))
    except templates.TemplateError as error:
        raise TryOutError(f"The text cannot be written: {error}.") from None
    message = outbox.enqueue(
        session, gate_for(app), Outgoing(contact=contact, message_type=flow.message_type,
                                         body=body, sender=sender, brand=brand),
        key=f"test:{flow.id}:{uuid.uuid4().hex}", at=utcnow(), flow_id=flow.id,
        campaign_id=flow.campaign_id)
    message.is_test = True
    session.flush()
    return message


def run_for(session: Session, app: Flask, flow: Flow, phone: str, payload: dict[str, Any],
            actor: str) -> tuple[FlowEvent, list[FlowRun]]:
    """Record the flow's trigger event for one contact, by hand, and run the flows it starts
    (this one among them, if enabled) as far as they go now."""
    if flow.trigger in ("campaign.send",):
        raise TryOutError("This flow goes to an audience; use Send to an audience, or Send a "
                          "test for one phone.")
    e164 = to_e164(phone)
    contact = session.scalars(sa.select(Contact).where(Contact.phone == e164)).one_or_none()
    if contact is None:
        raise TryOutError(f"No contact has the number {e164}; add them first.")
    try:
        event = engine.record(session, app, flow.trigger, contact, payload, utcnow(),
                              source=f"admin:{actor}"[:50], external_id=uuid.uuid4().hex)
    except engine.FlowError as error:
        raise TryOutError(str(error)) from None
    runs = session.scalars(sa.select(FlowRun).where(FlowRun.event_id == event.id)).all()
    if not any(run.flow_id == flow.id for run in runs):
        raise TryOutError(f"“{flow.name}” did not start: it is disabled or outside its dates. "
                          "Enable it to try it.")
    return event, list(runs)


def record_conversion(session: Session, phone: str, kind: str, value: Decimal | None,
                      flow: Flow | None, actor: str,
                      occurred_at: datetime | None = None) -> Conversion:
    """A conversion a person records by hand (a phone order, a walk-in booking)."""
    e164 = to_e164(phone)
    contact = session.scalars(sa.select(Contact).where(Contact.phone == e164)).one_or_none()
    if contact is None:
        raise TryOutError(f"No contact has the number {e164}.")
    return conversions.record(session, contact, kind, occurred_at or utcnow(),
                              source="admin", external_id=f"admin:{uuid.uuid4().hex}",
                              value=value, flow_id=flow.id if flow else None)


def _preferences_url(session: Session, app: Flask, brand: Any, contact: Contact,
                     flow: Flow) -> str:
    """A test text's preference link works: it opens the tester's own page."""
    _, url = links.make_preferences(session, brand, links.link_base(app, brand), contact.id,
                                    flow.id)
    return url


def _sender(session: Session, flow: Flow) -> Sender | None:
    campaign = flow.campaign
    if campaign and campaign.senders:
        return campaign.senders[0]
    return session.scalars(sa.select(Sender).order_by(Sender.id)).first()


def _moment(app: Flask, flow: Flow, payload: dict[str, Any]) -> datetime | None:
    spec = engine.event_types(app).get(flow.trigger)
    value = payload.get(spec.time_field) if spec and spec.time_field else None
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise TryOutError(f"{spec.time_field} must be a date and time, like "
                          "2026-12-10T15:00:00-05:00.") from None
