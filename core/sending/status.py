"""Delivery receipts: a message's status only moves forward; late or repeated ones change nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.db import utcnow
from core.integrations import outgoing
from core.models import Message
from core.models.guard import allow_writes
from hooks.providers import DELIVERED, FAILED, SENT, UNDELIVERED, StatusUpdate

# queued -> sending -> sent -> delivered / undelivered / failed
RANK = {"queued": 0, "deferred": 0, "sending": 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3}


def apply(session: Session, provider: str, update: StatusUpdate) -> Message | None:
    """Move the receipt's message forward; None when no message of ours matches it."""
    if update.status not in (SENT, DELIVERED, UNDELIVERED, FAILED):
        raise ValueError(f"unknown delivery status {update.status!r}")
    message = _find(session, provider, update)
    if message is None:
        return None
    if message.provider_message_id is None and update.provider_message_id:
        # The receipt can arrive before the send's answer was recorded (or after a crash
        # lost it): it names our message, so it heals the row.
        with allow_writes(session, "Message.provider_message_id"):
            message.provider_message_id = update.provider_message_id
            session.flush()
    if RANK.get(update.status, -1) > RANK.get(message.status, 99):
        message.status = update.status
        if update.status == DELIVERED:
            outgoing.emit(session, "message.delivered", {
                "phone": message.phone, "message_id": message.id, "flow_id": message.flow_id,
                "campaign_id": message.campaign_id, "delivered_at": utcnow()})
        if update.error_code:
            message.error_code = update.error_code
            message.last_error = update.error_detail or f"carrier error {update.error_code}"
    return message


def _find(session: Session, provider: str, update: StatusUpdate) -> Message | None:
    if update.message_key and update.message_key.isdigit():
        message = session.get(Message, int(update.message_key))
        if message is not None and message.direction == "out" and message.provider in (None, provider):
            if (update.provider_message_id is None or message.provider_message_id is None
                    or message.provider_message_id == update.provider_message_id):
                return message
    if update.provider_message_id:
        return session.scalars(sa.select(Message).where(
            Message.provider == provider, Message.direction == "out",
            Message.provider_message_id == update.provider_message_id)).first()
    return None
