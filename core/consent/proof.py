"""Proof of consent for one number: every event, the disclosures as shown, the chain check.

One self-contained document (JSON, or HTML with no external assets) that a business can
hand to a carrier or a lawyer.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jinja2
import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.consent import chain, suppression
from core.db import utcnow
from core.models import (
    Brand,
    ConsentDocument,
    ConsentEvent,
    Contact,
    FormSnapshot,
    FormSubmission,
    Message,
    PreferenceEvent,
    text_hash,
)

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("core", "templates"), autoescape=True
)


class UnknownNumber(LookupError):
    pass


def build(session: Session, e164: str, suppression_key: str, brand: str | None = None) -> dict:
    contact = session.scalars(sa.select(Contact).where(Contact.phone == e164)).one_or_none()
    if contact is None:
        raise UnknownNumber(f"No contact has the number {e164}.")
    events = session.scalars(
        sa.select(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
        .order_by(ConsentEvent.occurred_at, ConsentEvent.seq)
    ).all()
    whole_chain = chain.verify(session)
    if brand is None:
        brand = session.scalar(sa.select(Brand.public_name).order_by(Brand.id).limit(1))
    return {
        "title": f"Proof of consent for {e164}",
        "brand": brand,
        "generated_at": utcnow().isoformat(),
        "phone": e164,
        "contact": {"first_name": contact.first_name, "last_name": contact.last_name,
                    "email": contact.email, "created_at": contact.created_at.isoformat()},
        "current_state": {row.message_type.slug: {"state": row.state,
                                                  "since": row.since.isoformat()}
                          for row in contact.consents},
        "suppressed": suppression.is_suppressed(session, suppression_key, e164),
        "events": [_event(session, event) for event in events],
        "form_submissions": _submissions(session, contact),
        "preference_changes": [
            {"occurred_at": change.occurred_at.isoformat(), "choice": change.name,
             "value": change.value, "ip": change.ip, "user_agent": change.user_agent,
             "link_id": change.link_id}
            for change in session.scalars(sa.select(PreferenceEvent).where(
                PreferenceEvent.contact_id == contact.id).order_by(PreferenceEvent.occurred_at))],
        "chain": {**whole_chain.as_dict(),
                  "these_events_intact": all(_intact(event) for event in events)},
    }


def _intact(event: ConsentEvent) -> bool:
    evidence = event.evidence
    personal_ok = evidence.erased_at is not None or chain.personal_digest(evidence) == event.personal_hash
    return personal_ok and chain.event_digest(event) == event.hash


def _submissions(session: Session, contact: Contact) -> list[dict[str, Any]]:
    """Each hosted-form submission: what was asked, from where, and the double opt-in's
    question and answer."""
    found = []
    for row in session.scalars(sa.select(FormSubmission).where(
            FormSubmission.contact_id == contact.id).order_by(FormSubmission.submitted_at)):
        asked = session.get(Message, row.request_message_id) if row.request_message_id else None
        reply = session.get(Message, row.confirm_message_id) if row.confirm_message_id else None
        found.append({
            "form": row.form.name, "address": f"/f/{row.form.slug}", "status": row.status,
            "submitted_at": row.submitted_at.isoformat(), "page_url": row.page_url,
            "host_page_url": row.host_page_url, "ip": row.ip, "user_agent": row.user_agent,
            "form_snapshot_sha256": row.snapshot_sha256,
            "double_opt_in": None if asked is None else {
                "question": asked.body, "question_status": asked.status,
                "asked_at": asked.created_at.isoformat(),
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
                "answer": reply.body if reply else None,
                "answered_at": reply.created_at.isoformat() if reply else None},
        })
    return found


def _snapshot(session: Session, sha256: str | None) -> dict[str, Any] | None:
    if not sha256:
        return None
    row = session.scalars(sa.select(FormSnapshot).where(FormSnapshot.sha256 == sha256)).first()
    return {"sha256": sha256, "html": row.html if row else None,
            "matches": row is not None and text_hash(row.html) == sha256}


def _document(session: Session, sha256: str | None) -> dict[str, Any] | None:
    if not sha256:
        return None
    row = session.scalars(sa.select(ConsentDocument).where(
        ConsentDocument.sha256 == sha256)).first()
    if row is None:
        return {"sha256": sha256, "kept": False}
    data = row.data
    return {"sha256": sha256, "kept": data is not None, "filename": row.filename,
            "content_type": row.content_type, "size": row.size,
            "uploaded_by": row.uploaded_by, "uploaded_at": row.uploaded_at.isoformat(),
            "matches": data is not None and hashlib.sha256(data).hexdigest() == sha256,
            "data_base64": base64.b64encode(data).decode("ascii") if data else None}


def _event(session: Session, event: ConsentEvent) -> dict[str, Any]:
    evidence, disclosure = event.evidence, event.disclosure
    return {
        "seq": event.seq,
        "action": event.action,
        "message_type": event.message_type.slug if event.message_type else "all",
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "source": event.source,
        "source_detail": event.source_detail,
        "actor": event.actor,
        "campaign_id": event.campaign_id,
        "flow_id": event.flow_id,
        "disclosure": None if disclosure is None else {
            "name": disclosure.name,
            "version": disclosure.version,
            "language": disclosure.language,
            "text": disclosure.text,
            "sha256_recorded": event.disclosure_hash,
            "text_matches_recorded_hash": text_hash(disclosure.text) == event.disclosure_hash,
        },
        "evidence": {
            "page_url": event.page_url,
            "document_url": event.document_url,
            "ip": evidence.ip,
            "user_agent": evidence.user_agent,
            "keyword_text": evidence.keyword_text,
            "provider_message_id": event.provider_message_id,
            "host_page_url": event.host_page_url,
            "erased_at": evidence.erased_at.isoformat() if evidence.erased_at else None,
        },
        "form_snapshot": _snapshot(session, event.snapshot_hash),
        "document": _document(session, event.document_hash),
        "hash": event.hash,
        "prev_hash": event.prev_hash,
        "intact": _intact(event),
    }


def render_html(document: dict[str, Any]) -> str:
    return _templates.get_template("proof.html").render(doc=document)
