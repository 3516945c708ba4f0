"""What a provider's error code says about the person: opted out, or unreachable.

Each provider declares its codes (``Provider.error_outcomes``, e.g. Twilio 21610 "attempt to
send to unsubscribed recipient" and 30006 "landline or unreachable carrier"). The same code
means the same thing whether it comes back from the send or later in a status callback:

- ``OPTED_OUT``: an opt-out of every message type, from the provider as source, with the
  message and callback as evidence, and the number suppressed; recorded once per message
  however often the vendor repeats itself.
- ``UNDELIVERABLE``: the contact is marked with the code and time; the gate holds every send
  to it until a later delivery or a fresh opt-in shows the number works.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.consent import Evidence, app_ledger
from core.models import ConsentEvent, Contact, Message
from core.models.guard import allow_writes
from hooks.providers import OPTED_OUT, UNDELIVERABLE, Provider

MARK = ("Contact.undeliverable_at", "Contact.undeliverable_code")


def outcome_of(provider: Provider | None, code: str | None) -> str | None:
    if provider is None or not code:
        return None
    return provider.error_outcomes.get(str(code).strip())


def apply(app: Flask, session: Session, provider: Provider, message: Message, code: str | None,
          at: datetime, how: str, outcome: str | None = None) -> str | None:
    """Act on ``code`` for ``message``'s contact; ``how`` says where it came from (kept as
    the evidence); ``outcome`` is what the provider's exception already said. Returns the
    outcome, or None when the code means nothing for the person."""
    outcome = outcome_of(provider, code) or outcome
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if outcome is None or contact is None or not contact.phone:
        return outcome
    if outcome == OPTED_OUT:
        _opt_out(app, session, provider, message, contact, code, at, how)
    elif outcome == UNDELIVERABLE:
        with allow_writes(session, *MARK):
            mark_undeliverable(contact, f"{provider.name} {code}", at)
            session.flush()
    return outcome


def _opt_out(app, session, provider, message, contact, code, at, how) -> None:
    evidence_id = message.provider_message_id
    if evidence_id and session.scalar(sa.select(ConsentEvent.id).where(
            ConsentEvent.contact_id == contact.id, ConsentEvent.action == "opt_out",
            ConsentEvent.source == "provider",
            ConsentEvent.provider_message_id == evidence_id).limit(1)):
        return  # the vendor repeated its callback: recorded already
    app_ledger(app, session).opt_out(
        contact, None, source="provider", occurred_at=at,
        actor=f"{provider.name} reported an opt-out ({code})",
        source_detail=f"{how}: error {code} on message {message.id}",
        campaign_id=message.campaign_id, evidence=Evidence(provider_message_id=evidence_id))


def mark_undeliverable(contact: Contact, code: str, at: datetime) -> None:
    if contact.undeliverable_at is None or contact.undeliverable_at < at:
        contact.undeliverable_at, contact.undeliverable_code = at, code[:60]


def delivered(session: Session, message: Message) -> None:
    """A delivery receipt after the number was marked shows it works again."""
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is not None and contact.undeliverable_at is not None:
        with allow_writes(session, *MARK):
            contact.undeliverable_at = contact.undeliverable_code = None
            session.flush()
