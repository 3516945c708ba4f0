"""Contacts and what hangs off them: preferences, suppressions, segments."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_security import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from admin.base import ReadOnlyModelView, SecureModelView, permitted
from admin.fields import KeyValueField, TagListField
from admin.formatters import as_words, segment_rules, short_hash
from admin.validators import e164_phone, iana_zone, us_state, us_zip
from core.consent import app_ledger, proof
from core.consent.maintenance import erase_contact
from core.consent.revocations import record_revocation
from core.contact_story import story
from core.db import utcnow
from core.models import Contact, MessageType


class ContactView(SecureModelView):
    area = "contacts"
    delete_refused = Markup(
        "This contact cannot be deleted: their consent history and messages are evidence and "
        "are kept. To remove the person's personal data, tick the contact in the list and "
        "choose <strong>With selected → Erase personal data</strong>; their opt-outs stay "
        "in force.")
    action_permissions = {"record_opt_out": "consent:opt_out", "erase": "contacts:erase"}

    column_list = ("phone", "first_name", "last_name", "email", "state", "timezone", "tags",
                   "created_at")
    column_searchable_list = ("phone", "first_name", "last_name", "email", "postal_code")
    column_filters = ("phone", "state", "timezone", "created_at")
    column_default_sort = ("id", True)  # newest first, served by the primary key's index
    column_formatters = {"tags": as_words, "attributes": as_words}
    form_excluded_columns = ("consents", "created_at")
    form_overrides = {"tags": TagListField, "attributes": KeyValueField}
    form_args = {
        "tags": {"description": "Words separated by commas, e.g. vip, wedding, spring."},
        "attributes": {"description": "One per line, e.g. “orders: 3” or “birthday: 1990-04-12”."},
        "phone": {"validators": [e164_phone], "description": "Any format; stored as E.164."},
        "postal_code": {"label": "ZIP code", "validators": [us_zip],
                        "description": "Sets the state and time zone quiet hours use."},
        "state": {"validators": [us_state],
                  "description": "Without a ZIP code: the state quiet hours use (else the "
                                 "number's)."},
        "timezone": {"validators": [iana_zone],
                     "description": "Leave empty to derive it from the ZIP code, state or "
                                    "number."},
    }

    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-certificate", ".proof", title="Proof of consent",
                              id_arg="contact_id"),
    ]
    details_template = "consentdesk/contact_details.html"

    @expose("/details/")
    def details_view(self) -> Any:
        """The contact as support sees it: consent, timeline, conversation, tickets."""
        contact = self.db_session.get(Contact, request.args.get("id", type=int) or 0)
        if contact is None:
            flash("No such contact.", "danger")
            return redirect(url_for(".index_view"))
        told = story(self.db_session, contact, current_app.config["SUPPRESSION_KEY"])
        html = self.render(self.details_template, story=told, model=contact,
                           revoke=RevokeForm(), channels=CHANNELS,
                           return_url=url_for(".index_view"))
        self.db_session.rollback()
        return html

    @expose("/revoke/<int:contact_id>", methods=("POST",))
    def revoke(self, contact_id: int) -> Any:
        """Support records an opt-out or a revocation received another way."""
        if not permitted("consent:opt_out"):
            abort(403)
        contact = self.db_session.get(Contact, contact_id)
        form = RevokeForm()
        if contact is None or not contact.phone:
            abort(404)
        if not form.validate_on_submit():
            flash("Say how the person asked, and what they said.", "danger")
            return redirect(url_for(".details_view", id=contact_id))
        record_revocation(self.db_session, current_app, contact, channel=form.channel.data,
                          note=form.note.data, actor=current_user.email, received_at=utcnow(),
                          follow_up=form.follow_up.data)
        self.db_session.commit()
        flash("Recorded: this person gets no more texts of any kind"
              + (", and a follow-up ticket is open." if form.follow_up.data else "."), "success")
        return redirect(url_for(".details_view", id=contact_id))

    @expose("/proof/<int:contact_id>")
    def proof(self, contact_id: int) -> Response:
        """The proof-of-consent document for this contact, as HTML or ``?format=json``."""
        if not permitted("consent:read"):
            abort(403)
        contact = self.db_session.get(Contact, contact_id)
        if contact is None or not contact.phone:
            abort(404)
        document = proof.build(self.db_session, contact.phone,
                               current_app.config["SUPPRESSION_KEY"])
        if request.args.get("format") == "json":
            return jsonify(document)
        return Response(proof.render_html(document), mimetype="text/html")

    @action(
        "record_opt_out",
        "Record opt-out (all message types)",
        "Record that the selected contacts asked to stop all messages?",
    )
    def record_opt_out(self, ids: list[str]) -> None:
        ledger = app_ledger(current_app, self.db_session)
        contacts = self.db_session.query(Contact).filter(Contact.id.in_(self.typed_ids(ids))).all()
        for contact in contacts:
            ledger.opt_out(
                contact,
                None,
                source="admin",
                occurred_at=utcnow(),
                actor=current_user.email,
                source_detail="admin panel",
            )
        self.db_session.commit()
        flash(f"Recorded an opt-out for {len(contacts)} contact(s).", "success")


    @action(
        "erase",
        "Erase personal data",
        "Erase the selected people's personal data? Their consent events and any suppression "
        "stay; this cannot be undone.",
    )
    def erase(self, ids: list[str]) -> None:
        contacts = self.db_session.query(Contact).filter(Contact.id.in_(self.typed_ids(ids))).all()
        for contact in contacts:
            if contact.erased_at is None:
                erase_contact(self.db_session, contact, current_user.email)
        self.db_session.commit()
        flash(f"Erased the personal data of {len(contacts)} contact(s).", "success")


CHANNELS = [("sms", "A text message"), ("phone", "A phone call"), ("email", "An email"),
            ("in_person", "In person"), ("helpdesk", "A helpdesk ticket"), ("mail", "A letter")]


class RevokeForm(FlaskForm):
    channel = SelectField("How they asked", choices=CHANNELS, default="phone")
    note = TextAreaField("What they said", validators=[InputRequired(), Length(max=500)])
    follow_up = BooleanField("Someone must still act on it (opens a ticket due in 10 "
                             "business days)")


class PreferenceView(SecureModelView):
    area = "preferences"
    column_list = ("contact", "max_per_week", "language", "paused_until", "updated_at")
    column_filters = ("language", "paused_until")
    form_excluded_columns = ("updated_at",)


class SuppressionView(ReadOnlyModelView):
    """Written only by the ledger: lifting a suppression needs a new, proven opt-in."""

    area = "suppressions"
    column_list = ("phone_hmac", "reason", "source", "created_at")
    column_filters = ("reason", "source", "created_at")
    column_formatters = {"phone_hmac": short_hash}
    column_searchable_list = ("phone_hmac",)


class SegmentView(SecureModelView):
    """Audiences built from rules (opted in to, source, tags, purchases…) with a live count."""

    area = "segments"
    column_list = ("name", "description", "created_at")
    column_searchable_list = ("name",)
    column_formatters = {"definition": segment_rules}
    form_excluded_columns = ("created_at",)
    column_descriptions = {"definition": "The rules a person must all match; the count below "
                                         "follows as you change them."}
    column_labels = {"definition": "Who is in it"}

    def create_form(self, obj: Any = None) -> Any:
        return self._with_editor(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._with_editor(super().edit_form(obj))

    def _with_editor(self, form: Any) -> Any:
        if hasattr(form, "definition"):
            types = list(self.db_session.scalars(sa.select(MessageType.slug)
                                                 .order_by(MessageType.id)))
            sources = sorted(current_app.extensions["consentdesk"].consent_sources)
            form.definition.render_kw = {"data-editor": "segment", "rows": 6,
                                         "data-config": json.dumps({"types": types,
                                                                    "sources": sources})}
        return form
