"""Keyword lists, the revocation queue with its deadlines, and the two simulators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_security import current_user
from markupsafe import Markup
from wtforms.validators import ValidationError

from admin.base import SecureModelView, SecureView
from core.consent import app_ledger
from core.db import db, utcnow
from core.keywords import patterns
from core.keywords.vocabulary import load
from core.models import Contact, RevocationTicket
from core.models.keywords import KEYWORD_KINDS
from core.phone import InvalidPhone
from core.simulate import SimulationError, classify_text, gate_check


def _valid_keyword_text(form: Any, field: Any) -> None:
    """A pattern must compile against the slots the table holds ("{halt} ... {messages}")."""
    kind = form.kind.data
    if kind not in ("phrase", "harmless", "doubt", "join", "event", "pair"):
        return
    slots = load(db.session).slots
    try:
        for half in (field.data or "").split("&"):
            patterns.compile_pattern(half.replace("{ing}", "x").replace("{num}", "x"), slots)
    except patterns.PatternError as error:
        raise ValidationError(f"This pattern cannot be read: {error}.") from None


class KeywordView(SecureModelView):
    """The words and patterns the keyword engine reads inbound texts with."""

    area = "campaigns"
    column_list = ("kind", "language", "text", "meaning", "active", "created_at")
    column_searchable_list = ("text", "meaning")
    column_filters = ("kind", "language", "meaning", "active")
    form_columns = ("kind", "language", "text", "meaning", "active")
    form_choices = {"kind": [(k, k) for k in KEYWORD_KINDS]}
    column_descriptions = {
        "kind": "opt_out/help/opt_in: a whole-message keyword; phrase: a revocation pattern; "
                "harmless: an everyday reading; doubt: a person decides; slot: a word list "
                "patterns name as {meaning}",
        "text": "A keyword, a pattern such as '{halt} ... {messages}', or comma-separated words",
        "meaning": "The slot, spelling, message type or flow event the row is about",
    }
    form_args = {"text": {"validators": [_valid_keyword_text]}}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if model.kind == "opt_in" and model.active:
            from admin.views.brand import confirmation_problems
            from core.capture.rules import sentence
            from core.models import Campaign

            for campaign in self.db_session.scalars(sa.select(Campaign)):
                found = confirmation_problems(campaign) if campaign.brand else []
                if found:
                    raise ValidationError(
                        f"Someone texting {model.text} to “{campaign.name}” would get a reply "
                        f"lacking {sentence(found)}: fix the campaign's opt-in confirmation "
                        "first.")
        super().on_model_change(form, model, is_created)


def _due(_view: Any, _context: Any, ticket: RevocationTicket, _name: str) -> Markup:
    overdue = ticket.status == "open" and ticket.due_at < utcnow()
    text = ticket.due_at.strftime("%Y-%m-%d %H:%M %Z")
    return Markup('<strong class="text-danger">{} overdue</strong>').format(text) if overdue else Markup(text)


class RevocationTicketView(SecureModelView):
    """Revocations a person must act on, oldest deadline first; overdue ones in red."""

    area = "consent"
    writable = False
    action_permissions = {"revoke": "consent:opt_out", "dismiss": "consent:opt_out"}
    column_list = ("due_at", "status", "possible", "channel", "contact", "text", "matched",
                   "opened_at", "resolved_by")
    column_filters = ("status", "possible", "channel", "due_at")
    column_default_sort = ("due_at", False)
    column_formatters = {"due_at": _due}

    @action("revoke", "Record the revocation (opt out of everything)",
            "Record an opt-out of every message type for the selected tickets' contacts?")
    def revoke(self, ids: list[str]) -> None:
        ledger = app_ledger(current_app, self.db_session)
        for ticket in self._open(ids):
            contact = ticket.contact
            if contact is not None and contact.phone:
                ledger.opt_out(contact, None, source="admin", occurred_at=utcnow(),
                               actor=current_user.email,
                               source_detail=f"revocation ticket {ticket.id} ({ticket.channel})")
            self._close(ticket, "revoked")
        self.db_session.commit()
        flash("Recorded the revocations.", "success")

    @action("dismiss", "Dismiss (not a revocation)", "Dismiss the selected tickets?")
    def dismiss(self, ids: list[str]) -> None:
        for ticket in self._open(ids):
            self._close(ticket, "dismissed")
        self.db_session.commit()
        flash("Dismissed.", "success")

    def _open(self, ids: list[str]) -> list[RevocationTicket]:
        return list(self.db_session.scalars(sa.select(RevocationTicket).where(
            RevocationTicket.id.in_(self.typed_ids(ids)), RevocationTicket.status == "open")))

    def _close(self, ticket: RevocationTicket, status: str) -> None:
        ticket.status, ticket.resolved_by, ticket.resolved_at = status, current_user.email, utcnow()


class SimulatorsView(SecureView):
    """What would the keyword engine and the gate do? Nothing here changes any data."""

    area = "consent"

    @expose("/")
    def index(self) -> str:
        args = request.args
        keyword = gate = None
        errors = []
        if args.get("text"):
            try:
                keyword = classify_text(db.session, args["text"],
                                        int(args["campaign"]) if args.get("campaign") else None)
            except (SimulationError, ValueError) as error:
                errors.append(str(error))
        if args.get("phone"):
            try:
                at = datetime.fromisoformat(args["at"]) if args.get("at") else None
                gate = gate_check(db.session, current_app, args["phone"],
                                  args.get("type", "marketing"), at, args.get("body") or None)
            except (SimulationError, InvalidPhone, ValueError) as error:
                errors.append(str(error))
        db.session.rollback()
        return self.render("consentdesk/simulators.html", args=args, keyword=keyword, gate=gate,
                           errors=errors, contacts=db.session.scalar(sa.select(sa.func.count(Contact.id))))
