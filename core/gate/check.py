"""The compliance gate: allowed, blocked (with machine-readable reasons) or deferred (until when).

Every outbound message passes ``check`` in every path, at enqueue and again at dispatch.
Blocking reasons are collected together so an admin sees all of them at once; timing
(quiet hours, frequency) only defers, and a message that would go out after it expires
is blocked as ``expired`` instead of going out stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core import location, phone, segments
from core.gate import rules
from core.gate.facts import BatchFacts, LiveFacts
from core.models import Brand, Contact, MessageType, Sender
from hooks.types import OutgoingMessage

ALLOW, BLOCK, DEFER = "allow", "block", "defer"
MARKETING = "marketing"
# A number spanning several zones: assume Eastern, whose quiet hours end first in the US day.
FALLBACK_ZONE = "America/New_York"


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[Reason, ...] = ()
    until: datetime | None = None
    local_time: datetime | None = None
    rule: str | None = None
    citation: str | None = None
    # Allowed now, but only until the recipient's quiet hours begin (None: no such limit):
    # the dispatcher checks it again when it hands the text over.
    open_until: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOW

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.outcome,
            "reasons": [{"code": r.code, "detail": r.detail} for r in self.reasons],
            "until": self.until.isoformat() if self.until else None,
            "local_time": self.local_time.isoformat() if self.local_time else None,
            "rule": self.rule,
            "citation": self.citation,
        }


@dataclass
class Outgoing:
    """A message about to be sent, with what the gate needs to judge it."""

    contact: Contact
    message_type: MessageType
    body: str
    sender: Sender | None
    brand: Brand | None
    expires_at: datetime | None = None
    compliance_reply: bool = False  # a STOP/HELP confirmation the rules themselves require
    exclude_message_id: int | None = None  # the row being re-checked at dispatch


@dataclass
class Gate:
    """The gate for one app: its suppression key, limits and plugin rules."""

    suppression_key: str
    max_segments: int = 6
    plugin_rules: list[tuple[str, Callable[[OutgoingMessage], Iterable[str]]]] = field(
        default_factory=list)

    def check(self, session: Session, outgoing: Outgoing, at: datetime,
              facts: LiveFacts | BatchFacts | None = None) -> Decision:
        """The verdict for ``outgoing`` at ``at``. ``facts`` answers the database questions
        (a batch passes :class:`BatchFacts`; one message gets live queries)."""
        facts = facts or LiveFacts(session, self.suppression_key)
        contact = outgoing.contact
        blocks = self._phone_and_sender(contact, outgoing.sender)
        if blocks:
            return Decision(BLOCK, tuple(blocks))
        if not outgoing.compliance_reply:
            blocks += self._consent(facts, outgoing)
            blocks += self._content(facts, outgoing)
        place = location.place_of(contact)
        state = place.state
        local = at.astimezone(ZoneInfo(place.timezone or FALLBACK_ZONE))
        blocks += self._plugins(outgoing, state, local)
        if blocks:
            return Decision(BLOCK, tuple(blocks), local_time=local)
        if outgoing.compliance_reply:
            if outgoing.expires_at is not None and at > outgoing.expires_at:
                return Decision(BLOCK, (Reason("expired", "a compliance reply not sent by "
                                               f"{outgoing.expires_at.isoformat()} is dropped"),),
                                local_time=local)
            return Decision(ALLOW, local_time=local)
        return self._timing(facts, outgoing, at, local, state)

    def _phone_and_sender(self, contact: Contact, sender: Sender | None) -> list[Reason]:
        if contact.erased_at is not None or not contact.phone:
            return [Reason("erased", "the contact's personal data was erased")]
        number = phone.facts(contact.phone)
        if number.problem:
            return [Reason("invalid_phone", number.problem)]
        if sender is None:
            return [Reason("no_sender", "no sender is configured for this message")]
        region = number.region
        if sender.kind == "alphanumeric" and region in ("US", "CA"):
            return [Reason("sender_cannot_reach",
                           f"an alphanumeric sender cannot text {region} numbers")]
        if sender.kind in ("long_code", "toll_free", "short_code") and region not in ("US", "CA"):
            return [Reason("sender_cannot_reach", f"a US {sender.kind} sender cannot text {region}")]
        return []

    def _consent(self, facts, outgoing: Outgoing) -> list[Reason]:
        contact, message_type = outgoing.contact, outgoing.message_type
        if facts.suppressed(contact):
            return [Reason("suppressed", "the number is on the suppression list")]
        if contact.undeliverable_at is not None:
            return [Reason("undeliverable",
                           f"the provider reported on {contact.undeliverable_at:%Y-%m-%d} that "
                           f"the number cannot receive texts ({contact.undeliverable_code}); "
                           "a later delivery or a fresh opt-in clears it")]
        if not message_type.requires_opt_in:
            return []
        state = facts.consent_state(contact.id, message_type.id)
        if state == "opted_in":
            return []
        if state == "opted_out":
            return [Reason("opted_out", f"the contact opted out of {message_type.slug}")]
        return [Reason("no_consent", f"no opt-in for {message_type.slug}")]

    def _content(self, facts, outgoing: Outgoing) -> list[Reason]:
        first = not facts.has_counted(outgoing.contact.id, outgoing.exclude_message_id)
        return self.content_findings(outgoing.body, outgoing.brand, outgoing.message_type.slug,
                                     first)

    def content_findings(self, body: str, brand: Brand | None, message_type: str,
                         first_message: bool) -> list[Reason]:
        """The content rules alone (brand named, opt-out language, segment count), for a
        text being written: the template editor shows them before anything is queued."""
        found, lower = [], body.lower()
        if brand is not None and brand.public_name.lower() not in lower:
            found.append(Reason("brand_missing", f"the text does not name {brand.public_name}"))
        lists = rules.content_lists()
        needs_opt_out = message_type == MARKETING or first_message
        if needs_opt_out and not any(p in lower for p in lists["opt_out_language"]):
            found.append(Reason("opt_out_language_missing",
                                "first and marketing messages must say how to opt out "
                                "(e.g. 'Reply STOP to opt out')"))
        if message_type == MARKETING:
            local = rules.local_links(body)
            if local:
                found.append(Reason("local_link", "links would point at a local address no "
                                    f"phone can open ({local[0]}); set CONSENTDESK_PUBLIC_URL "
                                    "or the brand's link domain"))
        counted = segments.count(body)
        if counted.segments > self.max_segments:
            found.append(Reason("too_many_segments", f"{counted.segments} {counted.encoding} "
                                f"segments; the limit is {self.max_segments}"))
        return found

    def _plugins(self, outgoing: Outgoing, state: str | None, local: datetime) -> list[Reason]:
        view = OutgoingMessage(
            phone=outgoing.contact.phone, message_type=outgoing.message_type.slug,
            body=outgoing.body, brand=outgoing.brand.public_name if outgoing.brand else None,
            state=state, local_time=local, attributes=dict(outgoing.contact.attributes or {}))
        return [Reason(name, detail) for name, rule in self.plugin_rules for detail in rule(view)]

    def _timing(self, facts, outgoing, at, local, state) -> Decision:
        until, window = rules.next_allowed(local, state)
        reasons: list[Reason] = []
        if until != local and not outgoing.message_type.quiet_hours_exempt:
            reasons.append(Reason("quiet_hours", f"{local:%H:%M} is outside "
                                  f"{window.start:%H:%M}-{window.end:%H:%M} ({window.rule})"))
        else:
            until = local
        freed = self._frequency(facts, outgoing, at, window, reasons)
        if freed is not None and freed.astimezone(local.tzinfo) > until:
            until = freed.astimezone(local.tzinfo)
            if not outgoing.message_type.quiet_hours_exempt:
                until, window = rules.next_allowed(until, state)
        if not reasons:
            closes = (None if outgoing.message_type.quiet_hours_exempt
                      else datetime.combine(local.date(), window.end, local.tzinfo))
            return Decision(ALLOW, local_time=local, rule=window.rule, citation=window.citation,
                            open_until=closes)
        if outgoing.expires_at is not None and until > outgoing.expires_at:
            reasons.append(Reason("expired", f"it could only go out at {until.isoformat()}, "
                                  f"after it expires at {outgoing.expires_at.isoformat()}"))
            return Decision(BLOCK, tuple(reasons), local_time=local, rule=window.rule,
                            citation=window.citation)
        return Decision(DEFER, tuple(reasons), until=until, local_time=local, rule=window.rule,
                        citation=window.citation)

    def _frequency(self, facts, outgoing, at, window, reasons) -> datetime | None:
        """Defer past a frequency cap; return when the oldest counted message leaves the window."""
        freed = None
        caps = []
        weekly = facts.max_per_week(outgoing.contact.id)
        if weekly:
            caps.append((weekly, timedelta(days=7), None, "the contact's preference"))
        offers = facts.offers_per_week(outgoing.contact.id)
        if offers and outgoing.message_type.slug == MARKETING:
            caps.append((offers, timedelta(days=7), outgoing.message_type.id,
                         "the offers a week the person chose in the preference center"))
        if window.max_marketing_per_24h and outgoing.message_type.slug == MARKETING:
            caps.append((window.max_marketing_per_24h, timedelta(hours=24),
                         outgoing.message_type.id, window.citation))
        for limit, period, type_id, source in caps:
            sent = facts.counted_since(outgoing.contact.id, at - period, type_id,
                                       outgoing.exclude_message_id)
            if len(sent) >= limit:
                reasons.append(Reason("frequency_cap",
                                      f"{len(sent)} messages in {period} (limit {limit}, {source})"))
                release = sent[len(sent) - limit] + period
                freed = max(freed, release) if freed else release
        return freed


def gate_for(app) -> Gate:
    from core import plugins

    return Gate(
        suppression_key=app.config["SUPPRESSION_KEY"],
        max_segments=int(app.config.get("GATE_MAX_SEGMENTS", 6)),
        plugin_rules=[(rule.name, rule.check) for rule in
                      plugins.gate_rules(app.extensions["consentdesk"].pm)],
    )
