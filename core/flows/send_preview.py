"""What a send to a flow's audience will do, before anyone confirms it.

For a flow whose trigger is a schedule or a segment (``campaign.send``), at a given time:
how many people are in the segment, how many the gate lets through and how many it blocks
and why (no consent for this type, opted out, suppressed, unreachable, erased), how many
wait for quiet hours or a frequency cap and until when in their own time, five texts
rendered for real recipients, and the content findings that would block every text. The
counts come from set-based queries, never one check per person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.consent.suppression import phone_hmac
from core.flows import audiences, links, templates
from core.gate import rules
from core.gate.check import FALLBACK_ZONE, MARKETING, gate_for
from core.models import Consent, Contact, Flow, Message, Preference, Suppression

SCHEDULABLE = ("campaign.send",)
SAMPLES = 5
REASONS = {
    "no_consent": "no opt-in for this type of message",
    "opted_out": "opted out of this type of message",
    "suppressed": "on the suppression list (opted out of everything)",
    "undeliverable": "the provider said the number cannot receive texts",
    "erased": "personal data erased",
}


class SendRefused(ValueError):
    """This flow cannot be sent to an audience; the message says why, in plain words."""


@dataclass
class ZoneGroup:
    zone: str
    state: str | None
    people: int
    local_send: datetime
    goes_out: datetime  # the local time after quiet hours

    @property
    def deferred(self) -> bool:
        return self.goes_out != self.local_send


@dataclass
class AudiencePreview:
    flow: Flow
    at: datetime
    local_time: time | None
    in_segment: int
    eligible: int
    blocked: Counter = field(default_factory=Counter)
    frequency_capped: int = 0
    groups: list[ZoneGroup] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # block every text: nothing can go
    warnings: list[str] = field(default_factory=list)

    @property
    def deferred(self) -> int:
        return sum(g.people for g in self.groups if g.deferred)

    @property
    def will_send(self) -> int:
        return 0 if self.findings else max(0, self.eligible - self.frequency_capped)

    @property
    def blocked_total(self) -> int:
        return sum(self.blocked.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow.name, "at": self.at.isoformat(),
            "local_time": self.local_time.isoformat() if self.local_time else None,
            "in_segment": self.in_segment, "eligible": self.eligible,
            "will_send": self.will_send, "blocked": dict(self.blocked),
            "frequency_capped": self.frequency_capped, "deferred": self.deferred,
            "groups": [{"zone": g.zone, "state": g.state, "people": g.people,
                        "local_send": g.local_send.isoformat(),
                        "goes_out": g.goes_out.isoformat()} for g in self.groups],
            "samples": self.samples, "findings": self.findings, "warnings": self.warnings,
        }


def check_schedulable(flow: Flow) -> None:
    """Only a flow sent to a segment on a schedule may go to an audience at once."""
    if flow.trigger not in SCHEDULABLE:
        raise SendRefused(
            f"“{flow.name}” is started by {flow.trigger} — one person at a time, when it "
            "happens to them — so it cannot be sent to an audience or scheduled. Only a flow "
            "whose trigger is “campaign.send” (a schedule or a segment) can.")
    if not any("send" in step for step in flow.steps or []):
        raise SendRefused(f"“{flow.name}” has no message step to send.")


def preview(session: Session, app: Flask, flow: Flow, at: datetime,
            local_time: time | None = None, payload: dict[str, Any] | None = None,
            day: date | None = None) -> AudiencePreview:
    """What sending ``flow`` would do: judged at ``at`` (now, or the exact moment it goes),
    each person's text due at ``local_time`` on ``day`` in their own zone when given."""
    check_schedulable(flow)
    definition = flow.segment.definition if flow.segment else None
    members = sa.select(Contact.id)
    if definition:
        members = members.where(*audiences.conditions(session, definition, at))
    members = members.subquery()
    result = AudiencePreview(flow=flow, at=at, local_time=local_time,
                             in_segment=session.scalar(sa.select(sa.func.count())
                                                       .select_from(members)) or 0,
                             eligible=0)
    _blocked(session, flow, members, result)
    eligible = audiences.audience(session, flow.message_type_id, definition, at).subquery()
    result.eligible = session.scalar(sa.select(sa.func.count()).select_from(eligible)) or 0
    _quiet_hours(session, flow, eligible, at, local_time, day, result)
    result.frequency_capped = _capped(session, flow, eligible, at)
    _samples_and_findings(session, app, flow, eligible, at, payload or {}, result)
    return result


def _blocked(session: Session, flow: Flow, members: Any, result: AudiencePreview) -> None:
    """Everyone in the segment the gate stops, by the first reason that stops them."""
    consent = sa.select(Consent.state).where(
        Consent.contact_id == Contact.id,
        Consent.message_type_id == flow.message_type_id).correlate(Contact).scalar_subquery()
    suppressed = sa.exists(sa.select(Suppression.id).where(
        Suppression.phone_hmac == Contact.phone_hmac).correlate(Contact))
    reason = sa.case(
        (Contact.erased_at.is_not(None), "erased"),
        (suppressed, "suppressed"),
        (Contact.undeliverable_at.is_not(None), "undeliverable"),
        (consent == "opted_out", "opted_out"),
        (sa.func.coalesce(consent, "none") != "opted_in", "no_consent"),
        else_=None)
    if not flow.message_type.requires_opt_in:
        reason = sa.case((Contact.erased_at.is_not(None), "erased"),
                         (suppressed, "suppressed"),
                         (Contact.undeliverable_at.is_not(None), "undeliverable"), else_=None)
    rows = session.execute(sa.select(reason.label("reason"), sa.func.count())
                           .select_from(Contact).join(members, members.c.id == Contact.id)
                           .group_by(reason)).all()
    result.blocked = Counter({r: n for r, n in rows if r is not None})


def _quiet_hours(session, flow, eligible, at, local_time, day, result) -> None:
    contacts = sa.select(Contact.timezone, Contact.state, sa.func.count()).join(
        eligible, eligible.c.id == Contact.id).group_by(Contact.timezone, Contact.state)
    exempt = flow.message_type.quiet_hours_exempt
    for zone, state, people in session.execute(contacts):
        tz = ZoneInfo(zone or FALLBACK_ZONE)
        local = at.astimezone(tz)
        if local_time:
            local = datetime.combine(day or local.date(), local_time, tz)
            if local < at.astimezone(tz):
                local = max(local + timedelta(days=1), at.astimezone(tz))  # passed there
        goes_out = local if exempt else rules.next_allowed(local, state)[0]
        result.groups.append(ZoneGroup(zone or FALLBACK_ZONE, state, people, local, goes_out))
    result.groups.sort(key=lambda g: (-g.people, g.zone, g.state or ""))


def _capped(session: Session, flow: Flow, eligible: Any, at: datetime) -> int:
    """People a frequency cap holds back: the state's marketing cap or their own weekly one."""
    counted = ("queued", "sending", "sent", "delivered")
    capped_states = {state: rules.window(state, at.date()).max_marketing_per_24h
                     for state in rules.states_with_rules()}
    capped_states = {s: n for s, n in capped_states.items() if n}
    held = 0
    if flow.message_type.slug == MARKETING and capped_states:
        recent = (sa.select(Message.contact_id, sa.func.count().label("n"))
                  .where(Message.direction == "out", Message.status.in_(counted),
                         Message.message_type_id == flow.message_type_id,
                         Message.created_at > at - timedelta(hours=24))
                  .group_by(Message.contact_id).subquery())
        for state, limit in capped_states.items():
            held += session.scalar(sa.select(sa.func.count()).select_from(Contact)
                                   .join(eligible, eligible.c.id == Contact.id)
                                   .join(recent, recent.c.contact_id == Contact.id)
                                   .where(Contact.state == state, recent.c.n >= limit)) or 0
    weekly = (sa.select(Message.contact_id, sa.func.count().label("n"))
              .where(Message.direction == "out", Message.status.in_(counted),
                     Message.created_at > at - timedelta(days=7))
              .group_by(Message.contact_id).subquery())
    offers = (sa.select(Message.contact_id, sa.func.count().label("n"))
              .where(Message.direction == "out", Message.status.in_(counted),
                     Message.message_type_id == flow.message_type_id,
                     Message.created_at > at - timedelta(days=7))
              .group_by(Message.contact_id).subquery())
    own_cap = sa.and_(Preference.max_per_week.is_not(None),
                      sa.func.coalesce(weekly.c.n, 0) >= Preference.max_per_week)
    if flow.message_type.slug == MARKETING:  # the offers a week chosen in the preference center
        own_cap = sa.or_(own_cap, sa.and_(Preference.offers_per_week.is_not(None),
                                          sa.func.coalesce(offers.c.n, 0)
                                          >= Preference.offers_per_week))
    held += session.scalar(sa.select(sa.func.count()).select_from(Preference)
                           .join(eligible, eligible.c.id == Preference.contact_id)
                           .outerjoin(weekly, weekly.c.contact_id == Preference.contact_id)
                           .outerjoin(offers, offers.c.contact_id == Preference.contact_id)
                           .where(own_cap)) or 0
    return held


def _samples_and_findings(session, app, flow, eligible, at, payload, result) -> None:
    step = next(s for s in flow.steps or [] if "send" in s)
    brand = flow.campaign.brand if flow.campaign else None
    base = links.link_base(app, brand)
    if links.is_local(base):
        result.warnings.append(links.LOCAL_LINKS_WARNING)
    people = session.scalars(sa.select(Contact).join(eligible, eligible.c.id == Contact.id)
                             .order_by(Contact.id).limit(SAMPLES)).all()
    gate = gate_for(app)
    for contact in people:
        sample_link = f"{base.rstrip('/')}/l/AbCdEfGh{_part(app, contact)}"
        try:
            body = templates.render(step["send"], templates.Context(
                brand=brand.public_name if brand else "", first_name=contact.first_name,
                last_name=contact.last_name,
                support_phone=brand.support_phone if brand else None,
                timezone=contact.timezone or FALLBACK_ZONE, moment=at,
                offer=step.get("offer") or payload.get("offer"), event=payload,
                link=lambda url=sample_link: url, preferences_link=lambda url=sample_link: url))
            problem = None
        except templates.TemplateError as error:
            body, problem = "", f"not sent to this person: {error}"
        result.samples.append({"name": str(contact), "text": body, "problem": problem})
    body = next((s["text"] for s in result.samples if s["text"]), None)
    if body is None:
        try:
            body = templates.render(step["send"], templates.Context(
                brand=brand.public_name if brand else "", first_name="Ana", last_name="Rivera",
                support_phone=brand.support_phone if brand else None, moment=at,
                offer=step.get("offer") or payload.get("offer") or "an offer", event=payload,
                link=lambda: f"{base.rstrip('/')}/l/AbCdEfGh000000000000",
                preferences_link=lambda: f"{base.rstrip('/')}/l/AbCdEfGh000000000000"))
        except templates.TemplateError as error:
            result.findings.append(f"The message cannot be written: {error}.")
            return
    for reason in gate.content_findings(body, brand, flow.message_type.slug, False):
        result.findings.append(_plain(reason.code, reason.detail))


def _part(app: Flask, contact: Contact) -> str:
    return phone_hmac(app.config["SUPPRESSION_KEY"], contact.phone)[:links.RECIPIENT_CHARS]


def _plain(code: str, detail: str) -> str:
    words = {
        "brand_missing": "The text does not name the brand. Carriers require it in every message",
        "opt_out_language_missing": "Marketing texts must say how to opt out (for example "
                                    "“Reply STOP to opt out”)",
        "too_many_segments": "The text is too long",
        "local_link": "Its link would point at a local address no phone can open. Set "
                      "CONSENTDESK_PUBLIC_URL or the brand's link domain",
        "shortener": "It uses a public URL shortener, which carriers filter",
    }
    if code == "local_link":
        return words[code] + "."
    return f"{words.get(code, code)} ({detail})."
