"""Flows: an event starts a run per matching flow; a run walks the flow's steps.

Steps (``Flow.steps``, a JSON list; ``check_steps`` validates them when a flow is saved):

- ``{"send": "<template>", "link": "https://...", "offer": "...", "expires": true}``: render
  the template and put the text in the outbox, through the gate like every message (a
  blocked send keeps its reasons on the message row, and the run moves on). ``link`` is
  where ``[branded link]`` points (default: the event's ``url``); ``expires`` makes the text
  expire at the event's time (a reminder never goes out after the appointment).
- ``{"wait": "2d"}``: wait (``m``, ``h``, ``d``) from when the run reaches the step;
  ``{"wait": {"before": "24h"}}``: wait until that long before the event's time.
- ``{"stop_if": "converted"}``: stop if the contact converted since the event;
  ``{"stop_if": "appointment.cancelled"}``: stop if that event came for the contact since
  (for the same ``appointment_id``/``order_id`` when the trigger has one).

Every event is stored (``flow_event``) before any flow runs; a run is unique per flow,
event and contact, and a send's idempotency key names all three and the step, so an event
delivered twice sends nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.flows import links, templates
from core.gate.check import Outgoing, gate_for
from core.models import Contact, Conversion, Flow, FlowEvent, FlowRun, Message, Sender
from core.sending import outbox

DURATION = re.compile(r"^(\d{1,4})\s*([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
REFERENCES = ("appointment_id", "order_id", "checkout_id", "ticket_id")
BATCH = 200


class FlowError(ValueError):
    """A flow definition or event that cannot be used."""


def event_types(app: Flask) -> dict[str, Any]:
    """The event catalogue, collected from the plugins once at start-up."""
    return app.extensions["consentdesk"].event_types


def record(session: Session, app: Flask, kind: str, contact: Contact | None,
           payload: dict[str, Any], occurred_at: datetime, source: str,
           external_id: str | None = None, now: datetime | None = None,
           only_flows: Collection[int] | None = None) -> FlowEvent:
    """Store the event, start the flows it triggers and run them as far as they go now.

    The same (source, external id) is stored once; a repeat returns the first event.
    ``only_flows``: start only these of the triggered flows (a hosted form starts the one
    flow chosen for it; an empty collection starts none)."""
    if kind not in event_types(app):
        raise FlowError(f"unknown event {kind!r}")
    if external_id is not None:
        existing = session.scalars(sa.select(FlowEvent).where(
            FlowEvent.source == source, FlowEvent.external_id == external_id)).first()
        if existing is not None:
            return existing
    event = FlowEvent(kind=kind, contact_id=contact.id if contact else None, payload=payload,
                      source=source, external_id=external_id, occurred_at=occurred_at)
    session.add(event)
    session.flush()
    if contact is None:  # an event for an audience: each triggered flow sends to its segment
        from core.flows.campaign import send_now

        for flow in _triggered(session, kind, occurred_at):
            send_now(session, app, flow, f"event:{event.id}", now or occurred_at,
                     payload=payload)
        return event
    for flow in _triggered(session, kind, occurred_at):
        if only_flows is not None and flow.id not in only_flows:
            continue
        run = FlowRun(flow=flow, contact=contact, event=event, step=0, status="waiting",
                      next_at=occurred_at)
        session.add(run)
        session.flush()
        advance(session, app, run, now or occurred_at)
    return event


def _triggered(session: Session, kind: str, at: datetime) -> list[Flow]:
    return list(session.scalars(sa.select(Flow).where(
        Flow.enabled.is_(True), Flow.trigger == kind,
        sa.or_(Flow.starts_at.is_(None), Flow.starts_at <= at),
        sa.or_(Flow.ends_at.is_(None), Flow.ends_at > at)).order_by(Flow.id)))


def advance(session: Session, app: Flask, run: FlowRun, now: datetime) -> None:
    """Run the steps that are due; stop at a wait that is not over. A flow that cannot go
    on (its event lacks the time a wait needs) fails with the reason on the run."""
    try:
        _advance(session, app, run, now)
    except FlowError as error:
        run.status, run.reason, run.next_at = "failed", str(error), None


def _advance(session: Session, app: Flask, run: FlowRun, now: datetime) -> None:
    steps = run.flow.steps or []
    while run.step < len(steps) and run.status == "waiting":
        step = steps[run.step]
        if "wait" in step:
            until = _wait_until(app, step["wait"], run, now)
            run.step += 1  # the run resumes after the wait
            if until > now:
                run.next_at = until
                return
            continue
        if "stop_if" in step and _holds(session, step["stop_if"], run):
            run.status, run.reason = "stopped", f"stopped at step {run.step + 1}: {step['stop_if']}"
            return
        elif "send" in step:
            try:
                _send(session, app, run, step, now)
            except (templates.TemplateError, links.LinkError) as error:
                run.reason = f"step {run.step + 1} not sent: {error}"
        run.step += 1
    if run.status == "waiting":
        run.status, run.next_at = "done", None


def advance_due(session: Session, app: Flask, now: datetime) -> int:
    """Advance every waiting run whose time has come (the worker calls this every minute)."""
    runs = session.scalars(sa.select(FlowRun).where(
        FlowRun.status == "waiting", FlowRun.next_at <= now).order_by(FlowRun.id)
        .limit(BATCH)).all()
    for run in runs:
        advance(session, app, run, now)
    return len(runs)


def _wait_until(app: Flask, wait: Any, run: FlowRun, now: datetime) -> datetime:
    if isinstance(wait, str):
        return now + duration(wait)
    moment = _event_time(app, run.event)
    if moment is None:
        raise FlowError("this wait needs the event's time, and the event has none")
    return moment - duration(wait["before"])


def duration(text: str) -> timedelta:
    match = DURATION.match(str(text).strip())
    if not match:
        raise FlowError(f"{text!r} is not a duration like 30m, 24h or 2d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def _holds(session: Session, condition: str, run: FlowRun) -> bool:
    since = run.event.occurred_at
    if condition == "converted":
        return session.scalar(sa.select(Conversion.id).where(
            Conversion.contact_id == run.contact_id, Conversion.occurred_at >= since)
            .limit(1)) is not None
    query = sa.select(FlowEvent).where(FlowEvent.kind == condition,
                                       FlowEvent.contact_id == run.contact_id,
                                       FlowEvent.occurred_at >= since,
                                       FlowEvent.id != run.event_id)
    reference = _reference(run.event.payload)
    return any(reference is None or _reference(e.payload) == reference
               for e in session.scalars(query))


def _reference(payload: dict[str, Any]) -> tuple[str, Any] | None:
    return next(((key, payload[key]) for key in REFERENCES if key in (payload or {})), None)


def _event_time(app: Flask, event: FlowEvent) -> datetime | None:
    spec = event_types(app).get(event.kind)
    value = (event.payload or {}).get(spec.time_field) if spec and spec.time_field else None
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zone(payload: dict[str, Any] | None) -> str | None:
    """The event's own time zone (a booking made in the invitee's), when it names a real one."""
    name = (payload or {}).get("timezone")
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _send(session: Session, app: Flask, run: FlowRun, step: dict[str, Any],
          now: datetime) -> Message:
    flow, contact, event = run.flow, run.contact, run.event
    campaign = flow.campaign
    brand = campaign.brand if campaign else None
    sender = (campaign.senders[0] if campaign and campaign.senders
              else session.scalars(sa.select(Sender).order_by(Sender.id)).first())
    made: list[Any] = []

    def branded_link() -> str:
        destination = step.get("link") or (event.payload or {}).get("url")
        if not destination:
            raise templates.TemplateError("[branded link] needs the step's link or the event's url")
        link, url = links.make(session, destination, brand, links.link_base(app, brand),
                               contact.id, flow.id, links.utm_campaign(flow.name))
        made.append(link)
        return url

    def preferences_link() -> str:
        link, url = links.make_preferences(session, brand, links.link_base(app, brand),
                                           contact.id, flow.id)
        preference_links.append(link)
        return url

    preference_links: list[Any] = []
    body = templates.render(step["send"], templates.Context(
        brand=brand.public_name if brand else "", support_phone=brand.support_phone if brand else None,
        first_name=contact.first_name, last_name=contact.last_name,
        timezone=_zone(event.payload) or contact.timezone or "America/New_York",
        moment=_event_time(app, event),
        offer=step.get("offer") or (event.payload or {}).get("offer"),
        event=event.payload or {}, link=branded_link, preferences_link=preferences_link))
    message = outbox.enqueue(
        session, gate_for(app),
        Outgoing(contact=contact, message_type=flow.message_type, body=body, sender=sender,
                 brand=brand, expires_at=_event_time(app, event) if step.get("expires") else None),
        key=f"flow:{flow.id}:event:{event.id}:contact:{contact.id}:step:{run.step}", at=now,
        flow_id=flow.id, campaign_id=campaign.id if campaign else None)
    for link in made:
        link.message_id = message.id
        message.link_id = link.id
    for link in preference_links:
        link.message_id = message.id
    return message


def check_steps(steps: Any, trigger: str, app: Flask) -> None:
    """Raise :class:`FlowError` explaining the first thing wrong with a flow's steps."""
    catalogue = event_types(app)
    if trigger not in catalogue:
        raise FlowError(f"unknown trigger {trigger!r}; known: {', '.join(sorted(catalogue))}")
    spec = catalogue[trigger]
    if not isinstance(steps, list) or not steps:
        raise FlowError("steps must be a list with at least one step")
    if not any(isinstance(s, dict) and "send" in s for s in steps):
        raise FlowError("a flow needs at least one send step")
    for number, step in enumerate(steps, start=1):
        kinds = [k for k in ("send", "wait", "stop_if") if isinstance(step, dict) and k in step]
        if len(kinds) != 1:
            raise FlowError(f"step {number}: exactly one of send, wait or stop_if")
        try:
            _check_step(step, kinds[0], spec, catalogue)
        except (templates.TemplateError, links.LinkError, FlowError, KeyError, TypeError) as error:
            raise FlowError(f"step {number}: {error}") from None


def _check_step(step: dict[str, Any], kind: str, spec: Any, catalogue: dict[str, Any]) -> None:
    if kind == "send":
        templates.validate(step["send"], spec.fields)
        if step.get("link"):
            links.check_destination(step["link"])
        if "[branded link]" in step["send"] and not step.get("link") and "url" not in spec.fields:
            raise FlowError("[branded link] needs a link (the trigger has no url)")
        if ("[date]" in step["send"] or "[time]" in step["send"]) and not spec.time_field:
            raise FlowError(f"[date] and [time] need an event with a time; {spec.name} has none")
    elif kind == "wait":
        wait = step["wait"]
        duration(wait if isinstance(wait, str) else wait["before"])
        if not isinstance(wait, str) and not spec.time_field:
            raise FlowError(f"'before' needs an event with a time; {spec.name} has none")
    elif step["stop_if"] != "converted" and step["stop_if"] not in catalogue:
        raise FlowError(f"stop_if must be 'converted' or an event name, not {step['stop_if']!r}")
