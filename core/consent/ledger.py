"""Record opt-ins and opt-outs as append-only, hash-chained events; derive state from them.

The ``Consent`` rows are a cache of ``fold(events)``: after every event the contact's
state is recomputed from all of its events, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.consent import chain, suppression
from core.db import utcnow
from core.integrations import outgoing
from core.models import (
    Consent,
    ConsentEvent,
    ConsentEvidence,
    Contact,
    Disclosure,
    MessageType,
)
from core.models.guard import allow_writes
from hooks.types import ConsentSource

OPT_OUT_REASON = "opt_out"
CLOCK_SKEW = timedelta(minutes=5)  # a source's clock may run a little ahead of ours
FIRST_SMS_YEAR = 1992


class ConsentRefused(ValueError):
    """The ledger will not record this event; the message says why."""


# Consent given out loud leaves nothing to prove: the carriers do not accept it.
VERBAL_SOURCES = frozenset({"verbal", "phone_call", "call", "spoken", "in_person_verbal"})
VERBAL_REFUSED = ("Verbal consent (on a call or in person) is not accepted as proof: ask the "
                  "person to text the campaign's keyword (e.g. JOIN) to your number, or to "
                  "sign a paper form or fill in a web form; that records their consent.")


@dataclass(frozen=True)
class Evidence:
    ip: str | None = None
    user_agent: str | None = None
    page_url: str | None = None
    document_url: str | None = None
    keyword_text: str | None = None
    provider_message_id: str | None = None
    snapshot_hash: str | None = None  # the hosted form as the person saw it
    document_hash: str | None = None  # the signed paper form's scan
    host_page_url: str | None = None  # the page a form was embedded in


def fold(events: Iterable[ConsentEvent], type_ids: Iterable[int]) -> dict[int, ConsentEvent]:
    """The event that decides each message type's state, replaying in ``occurred_at`` order.

    An opt-out without a message type covers every type in ``type_ids``. Ties go to the
    event recorded later (higher ``seq``).
    """
    all_types = list(type_ids)
    deciding: dict[int, ConsentEvent] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.seq or 0)):
        targets = [event.message_type_id] if event.message_type_id else all_types
        for type_id in targets:
            deciding[type_id] = event
    return deciding


def state_after(event: ConsentEvent) -> str:
    """The state a deciding event leaves: ``opted_in`` or ``opted_out``."""
    return "opted_in" if event.action == "opt_in" else "opted_out"


def state_after_sql(action: sa.ColumnElement) -> sa.ColumnElement:
    """:func:`state_after` in SQL, for events read by a bulk statement."""
    return sa.case((action == "opt_in", "opted_in"), else_="opted_out")


def state_rows(events_by_contact: Mapping[int, Iterable[ConsentEvent]],
               type_ids: Iterable[int]) -> list[dict]:
    """``Consent`` rows (as dicts for a bulk insert) folded from each contact's events."""
    type_ids = list(type_ids)
    return [{"contact_id": contact_id, "message_type_id": type_id, "state": state_after(event),
             "since": event.occurred_at, "last_event_id": event.id}
            for contact_id, events in events_by_contact.items()
            for type_id, event in fold(events, type_ids).items()]


class Ledger:
    """Write access to consent. Built per request or command with the app's sources and key."""

    def __init__(
        self, session: Session, sources: Mapping[str, ConsentSource], suppression_key: str
    ) -> None:
        self.session = session
        self.sources = sources
        self.suppression_key = suppression_key

    def opt_in(
        self,
        contact: Contact,
        message_type: MessageType,
        *,
        source: str,
        disclosure: Disclosure | None,
        occurred_at: datetime,
        actor: str,
        source_detail: str | None = None,
        evidence: Evidence = Evidence(),
        campaign_id: int | None = None,
        flow_id: int | None = None,
    ) -> ConsentEvent:
        if source.strip().lower() in VERBAL_SOURCES:
            raise ConsentRefused(VERBAL_REFUSED)
        known = self._source(source)
        if not known.provable:
            raise ConsentRefused(f"Source {source!r} cannot prove consent; opt-in refused.")
        if disclosure is None:
            raise ConsentRefused("An opt-in needs the disclosure the person saw.")
        if message_type is None:
            raise ConsentRefused("An opt-in is for one message type.")
        event = self._append(
            contact, message_type, "opt_in", source, occurred_at, actor, source_detail,
            evidence, campaign_id, flow_id, disclosure,
        )
        suppression.lift(self.session, self.suppression_key, contact.phone, OPT_OUT_REASON,
                         event.occurred_at)
        if contact.undeliverable_at is not None and contact.undeliverable_at < event.occurred_at:
            # A fresh, proven opt-in vouches for the number a provider had called unreachable.
            with allow_writes(self.session, "Contact.undeliverable_at",
                              "Contact.undeliverable_code"):
                contact.undeliverable_at = contact.undeliverable_code = None
                self.session.flush()
        return event

    def opt_out(
        self,
        contact: Contact,
        message_type: MessageType | None,
        *,
        source: str,
        occurred_at: datetime,
        actor: str,
        source_detail: str | None = None,
        evidence: Evidence = Evidence(),
        campaign_id: int | None = None,
        flow_id: int | None = None,
    ) -> ConsentEvent:
        """Opt out of one message type, or of all of them when ``message_type`` is None."""
        self._source(source)
        event = self._append(
            contact, message_type, "opt_out", source, occurred_at, actor, source_detail,
            evidence, campaign_id, flow_id, None,
        )
        if message_type is None and not self._opted_in_after(contact, event.occurred_at):
            suppression.suppress(self.session, self.suppression_key, contact.phone,
                                 OPT_OUT_REASON, source, event.occurred_at)
        return event

    def _opted_in_after(self, contact: Contact, moment: datetime) -> bool:
        """A STOP delivered after a later START (out of order) must not suppress the START."""
        query = sa.select(ConsentEvent.id).where(
            ConsentEvent.contact_id == contact.id, ConsentEvent.action == "opt_in",
            ConsentEvent.occurred_at > moment)
        return self.session.scalar(query.limit(1)) is not None

    def _source(self, name: str) -> ConsentSource:
        try:
            return self.sources[name]
        except KeyError:
            raise ConsentRefused(f"Unknown consent source {name!r}.") from None

    def _append(
        self, contact, message_type, action, source, occurred_at, actor, source_detail,
        evidence, campaign_id, flow_id, disclosure,
    ) -> ConsentEvent:
        if occurred_at.tzinfo is None:
            raise ConsentRefused("occurred_at must be timezone-aware.")
        now = utcnow()
        occurred_at = when_it_happened(action, occurred_at, now)
        if contact.erased_at is not None or not contact.phone:
            raise ConsentRefused("This contact's personal data was erased.")
        if contact.id is None:
            self.session.flush()
        event = ConsentEvent(
            contact_id=contact.id,
            message_type_id=message_type.id if message_type else None,
            action=action,
            source=source,
            source_detail=source_detail,
            disclosure_id=disclosure.id if disclosure else None,
            disclosure_hash=disclosure.content_hash if disclosure else None,
            page_url=evidence.page_url,
            document_url=evidence.document_url,
            occurred_at=occurred_at,
            recorded_at=now,
            actor=actor,
            campaign_id=campaign_id,
            flow_id=flow_id,
            provider_message_id=evidence.provider_message_id,
            snapshot_hash=evidence.snapshot_hash,
            document_hash=evidence.document_hash,
            host_page_url=evidence.host_page_url,
        )
        personal = ConsentEvidence(
            nonce=chain.new_nonce(),
            phone=contact.phone,
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            ip=evidence.ip,
            user_agent=evidence.user_agent,
            keyword_text=evidence.keyword_text,
        )
        chain.link(chain.lock_head(self.session), event, personal)
        event.evidence = personal
        self.session.add(event)
        self.session.flush()
        derive_state(self.session, contact.id)
        outgoing.emit(self.session, "consent.changed", {
            "phone": contact.phone, "action": action, "source": source, "seq": event.seq,
            "message_type": message_type.slug if message_type else "all",
            "occurred_at": event.occurred_at, "attributes": dict(contact.attributes or {})})
        return event


def when_it_happened(action: str, occurred_at: datetime, now: datetime) -> datetime:
    """The ``occurred_at`` the ledger records. Consent is not given in the future (past a
    source's clock running ``CLOCK_SKEW`` ahead) nor before the first text message. Such an
    opt-in is refused: dated in the future, it would outrank every STOP sent until then. An
    opt-out is never refused: with an impossible time it is recorded as of ``now``, when it
    reached us, so it takes effect at once."""
    if not impossible_time(occurred_at, now):
        return occurred_at
    if action == "opt_out":
        return now
    raise ConsentRefused(f"occurred_at {occurred_at.isoformat()} is impossible for an opt-in: "
                         f"after now or before {FIRST_SMS_YEAR}, the first text message.")


def impossible_time(occurred_at: datetime, now: datetime) -> bool:
    """After ``now`` by more than a clock's drift, or before the first text message."""
    return occurred_at > now + CLOCK_SKEW or occurred_at.year < FIRST_SMS_YEAR


def derive_state(session: Session, contact_id: int) -> None:
    """Rewrite one contact's ``Consent`` rows from its events."""
    events = session.scalars(
        sa.select(ConsentEvent).where(ConsentEvent.contact_id == contact_id)
    ).all()
    type_ids = session.scalars(sa.select(MessageType.id)).all()
    deciding = fold(events, type_ids)
    current = {
        row.message_type_id: row
        for row in session.scalars(sa.select(Consent).where(Consent.contact_id == contact_id))
    }
    with allow_writes(session, "Consent.*"):
        for type_id, event in deciding.items():
            row = current.get(type_id) or Consent(contact_id=contact_id, message_type_id=type_id)
            row.state = state_after(event)
            row.since = event.occurred_at
            row.last_event_id = event.id
            session.add(row)
        session.flush()
