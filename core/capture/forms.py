"""Hosted opt-in forms: what a submission records, and the double opt-in's "Y".

A submission is judged before anything is written: a number that is not a valid mobile
number, no box ticked, or a filled-in honeypot records nothing. A valid one records one
consent event per ticked message type, with the person's browser, the page (and the page
the form was embedded in), the disclosure version and the SHA-256 of the form exactly as
rendered, kept in ``form_snapshot``. The form's flow then starts (the lead welcome).

With double opt-in the submission waits: one text asks the person to reply Y, sent only
because they asked; the opt-in is recorded when the Y comes (the reply is part of the
proof), or the request expires after 24 hours and nothing more is sent.

Each rendered form carries a nonce; a submission with a nonce already used (a double
click, a resent POST) records nothing new.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import location
from core.capture import rules
from core.consent import Evidence, app_ledger
from core.db import utcnow
from core.flows import engine
from core.gate.check import Outgoing, gate_for
from core.models import (
    Contact,
    FormSnapshot,
    FormSubmission,
    Message,
    MessageType,
    OptInForm,
    Sender,
)
from core.phone import InvalidPhone, not_mobile, to_e164
from core.sending import outbox

CONFIRM_WINDOW = timedelta(hours=24)
CONFIRM_WORDS = frozenset({"y", "yes", "yes!", "yes.", "yep", "yeah", "si", "sí", "confirm",
                           "ok", "okay"})
NONCE_BYTES = 18
NONCE_DAYS = 2  # a page left open longer asks to be reloaded
SOURCE = "web_form"


class FormClosed(LookupError):
    """No published form at that address."""


@dataclass
class Submitted:
    """What the person sees after submitting: errors by field, or what happened."""

    errors: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None  # "subscribed", "confirm_by_text", "repeat"
    submission: FormSubmission | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Visitor:
    """Where a submission came from: the browser and the pages."""

    ip: str | None
    user_agent: str | None
    page_url: str | None
    host_page_url: str | None = None


def problems(form: OptInForm) -> list[str]:
    """Why ``form`` cannot be published (empty when it can)."""
    brand = form.campaign.brand if form.campaign else None
    found = []
    if not form.message_types:
        found.append("at least one kind of message to ask for")
    if form.disclosure is None:
        found.append("a disclosure")
    else:
        found += rules.form_disclosure_problems(
            form.disclosure.text, brand, terms_url=brand.terms_url if brand else None,
            privacy_url=brand.privacy_policy_url if brand else None)
    if form.flow is not None and form.flow.trigger != "form.submitted":
        found.append(f"a flow started by form.submitted (“{form.flow.name}” starts on "
                     f"{form.flow.trigger})")
    return found


def published(session: Session, slug: str) -> OptInForm:
    form = session.scalars(sa.select(OptInForm).where(OptInForm.slug == slug)).one_or_none()
    if form is None or form.published_at is None:
        raise FormClosed(slug)
    return form


def _signer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="consentdesk.form-nonce")


def new_nonce(app: Flask, page_sha256: str) -> str:
    """A one-use token for a rendered form: random, signed, naming the page it came with."""
    return _signer(app).dumps([secrets.token_urlsafe(NONCE_BYTES), page_sha256])


def page_of(app: Flask, nonce: str) -> str | None:
    """The SHA-256 of the page a nonce was rendered with; None if it is forged or older
    than ``NONCE_DAYS``."""
    try:
        _, page = _signer(app).loads(nonce, max_age=NONCE_DAYS * 86400)
    except (BadSignature, TypeError, ValueError):
        return None
    return page if isinstance(page, str) else None


def keep_snapshot(session: Session, form: OptInForm, html: str) -> str:
    """Store the page as rendered (once per distinct page); return its SHA-256."""
    digest = hashlib.sha256(html.encode("utf-8")).hexdigest()
    if session.scalar(sa.select(FormSnapshot.id).where(FormSnapshot.sha256 == digest)) is None:
        try:
            with session.begin_nested():
                session.add(FormSnapshot(form_id=form.id, sha256=digest, html=html))
        except IntegrityError:
            pass  # another request kept the same page a moment ago
    return digest


def submit(session: Session, app: Flask, form: OptInForm, data: dict[str, Any],
           visitor: Visitor, snapshot_sha256: str, now: datetime | None = None) -> Submitted:
    """Judge and record one submission of ``form``. ``data``: the posted fields (``phone``,
    ``types`` as a list of message-type ids, ``first_name``, ``last_name``, ``email``,
    ``zip``, ``nonce``, ``website`` the honeypot)."""
    now = now or utcnow()
    result = Submitted()
    nonce = str(data.get("nonce") or "")[:200]
    if data.get("website"):  # a field people never see; bots fill every field in
        result.errors["form"] = "This submission could not be accepted."
        return result
    seen = page_of(app, nonce)
    if seen is None:
        result.errors["form"] = "This page is out of date: reload it and try again."
        return result
    if seen != snapshot_sha256:
        result.errors["form"] = ("This form was changed while you had it open. Check it "
                                 "below and submit again.")
        return result
    nonce_key = hashlib.sha256(nonce.encode("utf-8")).hexdigest()
    repeat = session.scalars(sa.select(FormSubmission).where(
        FormSubmission.nonce == nonce_key)).one_or_none()
    if repeat is not None:
        result.outcome, result.submission = "repeat", repeat
        return result
    phone = _phone(str(data.get("phone") or ""), result.errors)
    offered = {t.id: t for t in form.message_types}
    chosen = [offered[i] for i in _ids(data.get("types")) if i in offered]
    if not chosen:
        result.errors["types"] = "Tick at least one box to choose which texts you want."
    email = str(data.get("email") or "").strip()
    if form.ask_email and email and ("@" not in email or len(email) > 200):
        result.errors["email"] = "That email address does not look right."
    postal = str(data.get("zip") or "").strip()
    if form.ask_zip and postal:
        try:
            location.zip_place(postal)
        except location.LocationError:
            result.errors["zip"] = "That is not a US ZIP code (five digits, like 94103)."
    if result.errors:
        return result
    contact = _contact(session, phone, data, form)
    if contact.undeliverable_at is not None:
        result.errors["phone"] = ("Our texting provider reported that this number cannot "
                                  "receive texts. Enter a mobile number.")
        return result
    submission = FormSubmission(
        form_id=form.id, nonce=nonce_key, contact_id=contact.id,
        message_type_ids=[t.id for t in chosen], snapshot_sha256=snapshot_sha256,
        page_url=(visitor.page_url or "")[:1000] or None,
        host_page_url=(visitor.host_page_url or "")[:1000] or None,
        ip=visitor.ip, user_agent=(visitor.user_agent or "")[:500] or None,
        status="pending" if form.double_opt_in else "confirmed", submitted_at=now)
    session.add(submission)
    session.flush()
    result.submission = submission
    if form.double_opt_in:
        _ask_to_confirm(session, app, form, contact, submission, chosen, now)
        result.outcome = "confirm_by_text"
        return result
    _opt_in(session, app, form, contact, submission, chosen, now)
    submission.confirmed_at = now
    result.outcome = "subscribed"
    return result


def pending_for(session: Session, contact: Contact, at: datetime) -> FormSubmission | None:
    """The newest double opt-in of ``contact`` still waiting for a Y at ``at``."""
    return session.scalars(sa.select(FormSubmission).where(
        FormSubmission.contact_id == contact.id, FormSubmission.status == "pending",
        FormSubmission.expires_at > at).order_by(FormSubmission.id.desc())).first()


def is_confirmation(text: str) -> bool:
    return " ".join(text.lower().split()).strip(" .!") in {w.strip(".!") for w in CONFIRM_WORDS}


def confirm(session: Session, app: Flask, submission: FormSubmission,
            reply: Message) -> None:
    """The person replied Y: record the opt-ins their form asked for, proven by both the
    submission and the reply."""
    form = submission.form
    types = list(session.scalars(sa.select(MessageType).where(
        MessageType.id.in_(submission.message_type_ids)).order_by(MessageType.id)))
    submission.status, submission.confirmed_at = "confirmed", reply.created_at
    submission.confirm_message_id = reply.id
    _opt_in(session, app, form, submission.contact, submission, types, reply.created_at,
            reply=reply)


def cancel_pending(session: Session, contact: Contact) -> None:
    """A STOP while a double opt-in waits: the request is withdrawn."""
    session.execute(sa.update(FormSubmission).where(
        FormSubmission.contact_id == contact.id, FormSubmission.status == "pending")
        .values(status="cancelled"))


def expire(session: Session, now: datetime) -> int:
    """Requests not confirmed within 24 hours expire; nothing is sent about them again."""
    return session.execute(sa.update(FormSubmission).where(
        FormSubmission.status == "pending", FormSubmission.expires_at <= now)
        .values(status="expired")).rowcount or 0


def confirm_request_text(form: OptInForm, types: list[MessageType]) -> str:
    brand = form.campaign.brand
    kinds = " and ".join(t.name.lower() for t in types)
    return (f"{brand.public_name}: reply Y to confirm you want {kinds} texts from us. "
            "Msg & data rates may apply. Not you? Ignore this; you will not hear from us. "
            "Reply STOP to opt out.")


def _opt_in(session: Session, app: Flask, form: OptInForm, contact: Contact,
            submission: FormSubmission, types: list[MessageType], at: datetime,
            reply: Message | None = None) -> None:
    ledger = app_ledger(app, session)
    detail = f"hosted form “{form.name}” (/f/{form.slug})"
    if reply is not None:
        detail += (f"; double opt-in: submitted {submission.submitted_at:%Y-%m-%d %H:%M:%S} UTC, "
                   f"confirmed by reply")
    evidence = Evidence(ip=submission.ip, user_agent=submission.user_agent,
                        page_url=submission.page_url, host_page_url=submission.host_page_url,
                        snapshot_hash=submission.snapshot_sha256,
                        keyword_text=reply.body if reply is not None else None,
                        provider_message_id=reply.provider_message_id if reply else None)
    for message_type in types:
        ledger.opt_in(contact, message_type, source=SOURCE, disclosure=form.disclosure,
                      occurred_at=at, actor="hosted form", source_detail=detail[:500],
                      evidence=evidence, campaign_id=form.campaign_id, flow_id=form.flow_id)
    payload = {"form": form.slug, "url": submission.page_url or ""}
    engine.record(session, app, "form.submitted", contact, payload, at, source="hosted form",
                  external_id=f"form-submission:{submission.id}",
                  only_flows=[form.flow_id] if form.flow_id else [])


def _ask_to_confirm(session: Session, app: Flask, form: OptInForm, contact: Contact,
                    submission: FormSubmission, types: list[MessageType],
                    now: datetime) -> None:
    waiting = session.scalars(sa.select(FormSubmission).where(
        FormSubmission.contact_id == contact.id, FormSubmission.form_id == form.id,
        FormSubmission.status == "pending", FormSubmission.expires_at > now,
        FormSubmission.id != submission.id)).first()
    submission.expires_at = now + CONFIRM_WINDOW
    if waiting is not None:
        # Asked already and not answered: one question per request, never a reminder.
        submission.expires_at = waiting.expires_at
        return
    support = session.scalars(sa.select(MessageType).filter_by(slug="support")).first()
    sender = (form.campaign.senders[0] if form.campaign.senders
              else session.scalars(sa.select(Sender).order_by(Sender.id)).first())
    # The one text a form may send before consent: the answer to the person's own request,
    # judged by the gate like a STOP or HELP reply, dropped if not sent within the window.
    message = outbox.enqueue(
        session, gate_for(app),
        Outgoing(contact=contact, message_type=support, body=confirm_request_text(form, types),
                 sender=sender, brand=form.campaign.brand, compliance_reply=True,
                 expires_at=submission.expires_at),
        key=f"form-confirm:{submission.id}", at=now, campaign_id=form.campaign_id)
    submission.request_message_id = message.id


def _phone(raw: str, errors: dict[str, str]) -> str:
    if not raw.strip():
        errors["phone"] = "Enter your mobile number."
        return ""
    try:
        phone = to_e164(raw)
    except InvalidPhone:
        errors["phone"] = "That is not a valid phone number. Enter your mobile number."
        return ""
    kind = not_mobile(phone)
    if kind:
        errors["phone"] = f"That looks like {kind}, which cannot receive texts. Enter a mobile number."
    return phone


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in values:
        try:
            found.append(int(item))
        except (TypeError, ValueError):
            continue
    return found


def _contact(session: Session, phone: str, data: dict[str, Any], form: OptInForm) -> Contact:
    contact = session.scalars(sa.select(Contact).where(Contact.phone == phone)).one_or_none()
    if contact is None:
        contact = Contact(phone=phone)
        session.add(contact)
    # What the person typed fills in what we did not know; it never overwrites.
    fields = {"first_name": 100, "last_name": 100, "email": 200}
    if form.ask_zip:
        fields["postal_code"] = 10
    for name, limit in fields.items():
        value = str(data.get("zip" if name == "postal_code" else name) or "").strip()[:limit]
        if value and not getattr(contact, name, None):
            setattr(contact, name, value)
    session.flush()
    return contact
