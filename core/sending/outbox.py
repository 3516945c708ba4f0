"""Put a message in the outbox: one row, an idempotency key, the gate's verdict recorded on it.

The dispatcher (the sending pipeline) sends ``queued`` rows and ``deferred`` rows whose
``send_after`` has come, re-checking the gate first; ``blocked`` rows keep their reasons.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import segments
from core.gate.check import ALLOW, BLOCK, Decision, Gate, Outgoing
from core.models import Message

STATUS_FOR = {ALLOW: "queued", BLOCK: "blocked"}


def enqueue(session: Session, gate: Gate, outgoing: Outgoing, key: str, at: datetime,
            flow_id: int | None = None, campaign_id: int | None = None) -> Message:
    """The message for ``key``: created and judged once; a repeated trigger returns the same row."""
    existing = session.scalars(sa.select(Message).where(Message.idempotency_key == key)).first()
    if existing is not None:
        return existing
    counted = segments.count(outgoing.body)
    message = Message(
        direction="out", contact_id=outgoing.contact.id, phone=outgoing.contact.phone or "",
        sender_id=outgoing.sender.id if outgoing.sender else None,
        message_type_id=outgoing.message_type.id, flow_id=flow_id, campaign_id=campaign_id,
        body=outgoing.body, idempotency_key=key, expires_at=outgoing.expires_at,
        segments=counted.segments, encoding=counted.encoding, status="queued",
        compliance_reply=outgoing.compliance_reply,
    )
    record(message, gate.check(session, outgoing, at))
    session.add(message)
    session.flush()
    from core.sending.queue import submit_after_commit

    submit_after_commit(session, [message])
    return message


def record(message: Message, decision: Decision) -> None:
    """Write the gate's verdict on the row: status, machine-readable reasons, send_after."""
    message.status = STATUS_FOR.get(decision.outcome, "deferred")
    message.block_reasons = [f"{reason.code}: {reason.detail}" for reason in decision.reasons]
    message.send_after = decision.until
