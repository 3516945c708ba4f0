"""The phone simulator: what a contact's phone shows, and replying as that contact.

Outbound texts are the sandbox provider's deliveries; a reply typed here goes through the
sandbox's signed webhook and the keyword engine exactly as a real text would.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from admin.base import SecureView
from core.db import db, utcnow
from core.models import Contact, Message, Sender
from core.phone import InvalidPhone, to_e164
from core.sending.webhooks import intake
from hooks.providers import WebhookRequest

PENDING = ("queued", "sending")


class ReplyForm(FlaskForm):
    phone = StringField("Contact's phone", validators=[DataRequired()])
    body = TextAreaField("Reply as the contact", validators=[DataRequired(), Length(max=1600)])


class PhoneView(SecureView):
    read_permission = "phone:simulate"

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = ReplyForm(phone=request.args.get("phone", ""))
        if form.validate_on_submit():
            return self._reply(form)
        phone, error = _phone(form.phone.data)
        conversation = []
        if phone:
            conversation = list(db.session.scalars(
                sa.select(Message).join(Contact, Contact.id == Message.contact_id)
                .where(Contact.phone == phone).order_by(Message.created_at, Message.id)))
        recent = list(db.session.scalars(
            sa.select(Contact.phone).join(Message, Message.contact_id == Contact.id)
            .where(Contact.phone.is_not(None)).group_by(Contact.phone)
            .order_by(sa.func.max(Message.id).desc()).limit(20)))
        waiting = any(m.status in PENDING for m in conversation)
        html = self.render("consentdesk/phone.html", form=form, phone=phone, error=error,
                           conversation=conversation, recent=recent, waiting=waiting)
        db.session.rollback()
        return html

    def _reply(self, form: ReplyForm) -> Any:
        phone, error = _phone(form.phone.data)
        if error:
            flash(error, "danger")
            return redirect(url_for(".index", phone=form.phone.data))
        sender = _sandbox_sender(phone)
        db.session.rollback()  # end this request's read before the webhook path writes
        if sender is None:
            flash("No sender uses the sandbox provider; add one under Registration → Senders.",
                  "danger")
            return redirect(url_for(".index", phone=phone))
        sandbox = current_app.extensions["consentdesk"].providers["sandbox"]
        body = json.dumps({"from": phone, "to": sender, "body": form.body.data,
                           "id": f"SIM{uuid.uuid4().hex}", "sent_at": utcnow().isoformat()}).encode()
        webhook = WebhookRequest(kind="inbound", url=request.url, method="POST",
                                 headers={**sandbox.signed_headers(body),
                                          "User-Agent": "phone simulator"}, body=body)
        reply, code = intake(current_app, sandbox, webhook)
        if code != 200:
            flash(f"The reply was stored but not processed: {reply.body}", "danger")
        return redirect(url_for(".index", phone=phone))


def _phone(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    try:
        return to_e164(value), None
    except InvalidPhone as error:
        return None, str(error)


def _sandbox_sender(phone: str) -> str | None:
    """The sandbox number this contact last texted with, else any sandbox number."""
    last = db.session.scalar(
        sa.select(Sender.address).join(Message, Message.sender_id == Sender.id)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.phone == phone, Sender.provider == "sandbox")
        .order_by(Message.id.desc()).limit(1))
    return last or db.session.scalar(
        sa.select(Sender.address).where(Sender.provider == "sandbox").order_by(Sender.id).limit(1))
