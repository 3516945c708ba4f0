"""Contacts and what hangs off them: preferences, suppressions, segments."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_security import current_user
from markupsafe import Markup

from admin.base import ReadOnlyModelView, SecureModelView, permitted
from admin.formatters import as_json, short_hash
from admin.validators import e164_phone, iana_zone, us_state, us_zip
from core.consent import app_ledger, proof
from core.consent.maintenance import erase_contact
from core.db import utcnow
from core.models import Contact


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
    column_default_sort = ("created_at", True)
    column_formatters = {"tags": as_json, "attributes": as_json}
    form_excluded_columns = ("consents", "created_at")
    form_args = {
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
    area = "segments"
    column_list = ("name", "description", "created_at")
    column_searchable_list = ("name",)
    column_formatters = {"definition": as_json}
    form_excluded_columns = ("created_at",)
