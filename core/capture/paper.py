"""Paper and in-store consent: the signed form's scan, kept and hashed into the chain.

A scan is accepted as PDF, JPEG or PNG, told apart by its first bytes (never by its name),
up to ``MAX_BYTES``. It is stored once (by SHA-256) with who uploaded it; each opt-in it
proves carries that SHA-256 in the consent chain, and the proof page links the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.consent import Evidence, app_ledger
from core.models import ConsentDocument, ConsentEvent, Contact, Disclosure, MessageType
from core.phone import to_e164

MAX_BYTES = 10 * 1024 * 1024
SOURCE = "paper_form"
# (content type, the bytes the file starts with)
SIGNATURES = (("application/pdf", b"%PDF-"), ("image/jpeg", b"\xff\xd8\xff"),
              ("image/png", b"\x89PNG\r\n\x1a\n"))
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class DocumentRefused(ValueError):
    """The file cannot be kept as proof; the message says why."""


def sniff(data: bytes) -> str:
    """The content type of ``data`` from its first bytes, or :class:`DocumentRefused`."""
    for content_type, magic in SIGNATURES:
        if data.startswith(magic):
            return content_type
    raise DocumentRefused("The file is not a PDF, JPEG or PNG (whatever its name says): "
                          "scan or photograph the signed form as one of those.")


def store(session: Session, data: bytes, filename: str, uploaded_by: str) -> ConsentDocument:
    """Keep ``data`` (once per distinct file) and return its record."""
    if not data:
        raise DocumentRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise DocumentRefused(f"The file is {len(data) / 1048576:.1f} MB; the limit is "
                              f"{MAX_BYTES // 1048576} MB. Scan at a lower resolution.")
    content_type = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    found = session.scalars(sa.select(ConsentDocument).where(
        ConsentDocument.sha256 == digest)).one_or_none()
    if found is not None:
        return found
    document = ConsentDocument(sha256=digest, content_type=content_type, size=len(data),
                               filename=(filename or f"scan.{EXTENSIONS[content_type]}")[:255],
                               data=data, uploaded_by=uploaded_by)
    session.add(document)
    session.flush()
    return document


@dataclass(frozen=True)
class PaperConsent:
    phone: str
    message_types: list[MessageType]
    signed_at: datetime
    disclosure: Disclosure
    first_name: str | None = None
    last_name: str | None = None
    campaign_id: int | None = None
    note: str | None = None


def record(session: Session, app: Flask, consent: PaperConsent, document: ConsentDocument,
           actor: str, document_url: str) -> list[ConsentEvent]:
    """One opt-in per message type the signed form names, proven by ``document``."""
    phone = to_e164(consent.phone)
    contact = session.scalars(sa.select(Contact).where(Contact.phone == phone)).one_or_none()
    if contact is None:
        contact = Contact(phone=phone, first_name=consent.first_name,
                          last_name=consent.last_name)
        session.add(contact)
        session.flush()
    ledger = app_ledger(app, session)
    detail = f"signed paper form {document.filename}"
    if consent.note:
        detail += f"; {consent.note}"
    return [ledger.opt_in(contact, message_type, source=SOURCE, disclosure=consent.disclosure,
                          occurred_at=consent.signed_at, actor=actor,
                          source_detail=detail[:500],
                          evidence=Evidence(document_url=document_url,
                                            document_hash=document.sha256),
                          campaign_id=consent.campaign_id)
            for message_type in consent.message_types]
