"""Consent capture in the panel: hosted opt-in forms (built, previewed, published, embedded),
signed paper forms recorded with their scans, and the evidence they keep."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from admin.base import ReadOnlyModelView, SecureModelView, SecureView, permitted
from admin.validators import e164_phone
from core.capture import forms, paper, rules
from core.capture.web import form_urls, render_form
from core.consent.ledger import ConsentRefused
from core.db import db, utcnow
from core.gate.rules import is_local
from core.models import (
    Campaign,
    ConsentDocument,
    Disclosure,
    Flow,
    FormSnapshot,
    FormSubmission,
    MessageType,
    OptInForm,
)
from core.phone import InvalidPhone
from core.web_security import POLICY, talisman

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
PREVIEWABLE = {**POLICY, "frame-ancestors": "'self'"}
# Evidence shown as it was kept: no scripts, no form posts, no requests; the proof page
# may frame it.
INERT = {"default-src": "'none'", "style-src": "'unsafe-inline'", "img-src": "data:",
         "frame-ancestors": "'self'", "sandbox": ""}


def _state(view: Any, _context: Any, form: OptInForm, _name: str) -> Markup:
    if form.published_at:
        return Markup('<span class="badge badge-success">published</span> '
                      '<a href="{}" target="_blank">/f/{}</a>').format(
            url_for("capture.form_page", slug=form.slug), form.slug)
    return Markup('<span class="badge badge-secondary">draft</span>')


def _types(view: Any, _context: Any, form: OptInForm, _name: str) -> str:
    return ", ".join(t.name for t in form.message_types)


class OptInFormView(SecureModelView):
    """Consent → Opt-in forms: a form per campaign, built without code, previewed live,
    published when its disclosure says everything a consumer must read."""

    area = "forms"
    display_name = "Opt-in forms"
    edit_template = "consentdesk/optinform_edit.html"
    create_template = "consentdesk/optinform_create.html"
    column_list = ("name", "published_at", "campaign", "message_types", "double_opt_in",
                   "flow")
    column_labels = {"published_at": "State", "message_types": "Asks for",
                     "double_opt_in": "Confirm by text (double opt-in)", "flow": "Starts flow",
                     "ask_zip": "Ask for the ZIP code", "ask_name": "Ask for the name",
                     "ask_email": "Ask for the email", "thank_you": "Thank-you text"}
    column_formatters = {"published_at": _state, "message_types": _types}
    form_columns = ("name", "slug", "campaign", "message_types", "disclosure", "heading",
                    "ask_name", "ask_email", "ask_zip", "double_opt_in", "flow", "thank_you")
    form_excluded_columns = ("published_at", "created_at", "updated_at")
    column_descriptions = {
        "slug": "The form's address: /f/<this>. Lower-case letters, digits and dashes.",
        "message_types": "One unticked box per kind of text; never ticked for the person.",
        "disclosure": "The exact text shown under the boxes (its version is kept with every "
                      "opt-in). It must name the business, say what and how often, “Msg & "
                      "data rates may apply”, “Consent is not a condition of purchase”, STOP "
                      "and HELP.",
        "heading": "The title people see, e.g. “Get texts from Bloom & Branch”.",
        "double_opt_in": "Text the person once to reply Y; the opt-in counts only then.",
        "flow": "Started when someone signs up (a flow whose trigger is form.submitted).",
        "thank_you": "Shown after signing up.",
    }
    form_args = {"flow": {"blank_text": "— no flow —"},
                 "message_types": {"label": "Kinds of texts it asks for"}}
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-code", ".share", title="Address, snippet and paper form"),
    ]
    action_permissions = {"publish": "forms:write", "unpublish": "forms:write"}

    def create_form(self, obj: Any = None) -> Any:
        return self._limit(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._limit(super().edit_form(obj))

    def _limit(self, form: Any) -> Any:
        """Only flows a form can start; only kinds of texts that need an opt-in."""
        form.flow.query_factory = lambda: db.session.scalars(
            sa.select(Flow).where(Flow.trigger == "form.submitted").order_by(Flow.name)).all()
        form.message_types.query_factory = lambda: db.session.scalars(
            sa.select(MessageType).where(MessageType.requires_opt_in.is_(True))
            .order_by(MessageType.id)).all()
        return form

    def on_model_change(self, form: Any, model: OptInForm, is_created: bool) -> None:
        from wtforms import ValidationError

        model.slug = (model.slug or "").strip().lower()
        if not SLUG.match(model.slug):
            raise ValidationError("The address must be 3 to 60 lower-case letters, digits or "
                                  "dashes (e.g. spring-offers).")
        if model.published_at is not None:
            found = forms.problems(model)
            if found:
                raise ValidationError("A published form must keep showing everything a "
                                      "consumer must read; it would now lack "
                                      + rules.sentence(found) + ". Unpublish it first.")
        super().on_model_change(form, model, is_created)

    @action("publish", "Publish", "Publish the selected forms at their addresses?")
    def publish(self, ids: list[str]) -> None:
        for form in db.session.scalars(sa.select(OptInForm).where(
                OptInForm.id.in_(self.typed_ids(ids)))):
            found = forms.problems(form)
            if found:
                flash(f"“{form.name}” is not published: its disclosure or settings lack "
                      f"{rules.sentence(found)}.", "danger")
                continue
            form.published_at = form.published_at or utcnow()
            flash(f"“{form.name}” is live at /f/{form.slug}.", "success")
        db.session.commit()

    @action("unpublish", "Unpublish", "Take the selected forms down? Their pages say they are "
            "not available; what they recorded is kept.")
    def unpublish(self, ids: list[str]) -> None:
        for form in db.session.scalars(sa.select(OptInForm).where(
                OptInForm.id.in_(self.typed_ids(ids)))):
            form.published_at = None
        db.session.commit()
        flash("Taken down.", "success")

    @expose("/state/", methods=("POST",))
    def set_state(self) -> Any:
        """The share page's Publish / Take down button: the list actions, for one form."""
        if not permitted("forms:write"):
            abort(403)
        form_id = request.form.get("id", type=int)
        if request.form.get("publish") == "1":
            self.publish([str(form_id)])
        else:
            self.unpublish([str(form_id)])
        return redirect(url_for(".share", id=form_id))

    @expose("/share/")
    def share(self) -> Any:
        form = db.session.get(OptInForm, request.args.get("id", type=int))
        if form is None:
            abort(404)
        submissions = db.session.execute(sa.select(FormSubmission.status, sa.func.count())
                                         .where(FormSubmission.form_id == form.id)
                                         .group_by(FormSubmission.status)).all()
        found = forms.problems(form)
        html = self.render("consentdesk/optinform_share.html", form=form,
                           urls=form_urls(form), problems=found,
                           needs_brand=any("terms" in p or "privacy" in p for p in found),
                           submissions=dict(submissions),
                           local=is_local(form_urls(form)["page"]),
                           can_publish=permitted("forms:write"))
        db.session.rollback()
        return html

    @expose("/preview/")
    @talisman(frame_options="SAMEORIGIN", content_security_policy=PREVIEWABLE)
    def preview(self) -> Any:
        """The form as it would look with the editor's current (unsaved) values."""
        draft = _draft(request.args)
        if draft is None:
            return Response("<p style='font-family:sans-serif;color:#555'>Choose a campaign "
                            "and a disclosure to see the form.</p>", mimetype="text/html")
        found = forms.problems(draft)
        page = render_form(draft, embed=False)
        db.session.rollback()
        banner = ""
        if found:
            banner = str(Markup('<div style="font:14px sans-serif;background:#fdecea;'
                                'border:1px solid #a40000;padding:.5rem .75rem;margin:.5rem">'
                                '<strong>Cannot be published yet:</strong> it lacks {}.</div>')
                         .format(rules.sentence(found)))
        return Response(page.replace("<main>", banner + "<main>", 1), mimetype="text/html")


def _draft(args: Any) -> OptInForm | None:
    campaign = db.session.get(Campaign, args.get("campaign", type=int) or 0)
    disclosure = db.session.get(Disclosure, args.get("disclosure", type=int) or 0)
    if campaign is None or disclosure is None:
        return None
    ids = [int(i) for i in args.getlist("message_types") if i.isdigit()]
    types = list(db.session.scalars(sa.select(MessageType).where(MessageType.id.in_(ids))
                                    .order_by(MessageType.id))) if ids else []
    flow = db.session.get(Flow, args.get("flow", type=int) or 0)
    with db.session.no_autoflush:  # a draft that is never saved
        draft = OptInForm(slug=args.get("slug") or "preview", name=args.get("name") or "Preview",
                          campaign=campaign, disclosure=disclosure, message_types=types,
                          heading=args.get("heading") or None,
                          ask_name=args.get("ask_name") in ("y", "on", "1", "true"),
                          ask_email=args.get("ask_email") in ("y", "on", "1", "true"),
                          ask_zip=args.get("ask_zip") in ("y", "on", "1", "true"),
                          double_opt_in=args.get("double_opt_in") in ("y", "on", "1", "true"),
                          flow=flow)
    if draft in db.session:
        db.session.expunge(draft)
    return draft


class MultiCheckboxField(SelectMultipleField):
    """Boxes to tick, at least one when ``message`` is given. Checked on the server only: a
    browser's ``required`` on a group of checkboxes would demand every box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.message = message

    def pre_validate(self, form: Any) -> None:
        if self.message and not self.data:
            raise StopValidation(self.message)
        super().pre_validate(form)


class PaperForm(FlaskForm):
    scan = FileField("The signed form (PDF, JPEG or PNG, up to 10 MB)",
                     validators=[FileRequired("Choose the scan or photo of the signed form.")])
    phone = StringField("Mobile number on the form", validators=[InputRequired(), e164_phone])
    first_name = StringField("First name", validators=[Optional()])
    last_name = StringField("Last name", validators=[Optional()])
    types = MultiCheckboxField("Texts ticked on the form", coerce=int,
                               message="Tick what the person ticked.")
    signed_on = DateField("Date signed", validators=[InputRequired()])
    disclosure = SelectField("The disclosure printed on the form", coerce=int)
    campaign = SelectField("Campaign", coerce=int)
    note = TextAreaField("Note (where it was signed, by whom it was collected)",
                         validators=[Optional()])


class PaperConsentView(SecureView):
    """Consent → Paper consent: a signed form's scan, recorded as opt-ins it proves."""

    read_permission = "consent:paper"

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = PaperForm()
        form.types.choices = [(t.id, t.name) for t in db.session.scalars(
            sa.select(MessageType).where(MessageType.requires_opt_in.is_(True))
            .order_by(MessageType.id))]
        form.disclosure.choices = [(d.id, str(d)) for d in db.session.scalars(
            sa.select(Disclosure).order_by(Disclosure.name, Disclosure.version.desc()))]
        form.campaign.choices = [(c.id, c.name) for c in db.session.scalars(
            sa.select(Campaign).order_by(Campaign.name))]
        if form.validate_on_submit():
            done = self._record(form)
            if done is not None:
                return done
        html = self.render("consentdesk/paper_consent.html", form=form,
                           published=db.session.scalars(sa.select(OptInForm).where(
                               OptInForm.published_at.is_not(None))).all())
        db.session.rollback()
        return html

    def _record(self, form: PaperForm) -> Any:
        if form.signed_on.data > date.today():
            form.signed_on.errors.append("The form cannot be signed in the future.")
            return None
        try:
            document = paper.store(db.session, form.scan.data.read(paper.MAX_BYTES + 1),
                                   form.scan.data.filename or "", current_user.email)
            types = list(db.session.scalars(sa.select(MessageType).where(
                MessageType.id.in_(form.types.data))))
            signed_at = datetime.combine(form.signed_on.data, time(12, 0), UTC)
            events = paper.record(db.session, current_app, paper.PaperConsent(
                phone=form.phone.data, message_types=types, signed_at=signed_at,
                disclosure=db.session.get(Disclosure, form.disclosure.data),
                first_name=form.first_name.data or None, last_name=form.last_name.data or None,
                campaign_id=form.campaign.data or None, note=form.note.data or None),
                document, current_user.email,
                url_for(".document", sha256="SHA", _external=True).replace("SHA",
                                                                           document.sha256))
        except paper.DocumentRefused as error:
            db.session.rollback()
            form.scan.errors.append(str(error))
            return None
        except (ConsentRefused, InvalidPhone) as error:
            db.session.rollback()
            flash(str(error), "danger")
            return None
        db.session.commit()
        flash(f"Recorded {len(events)} opt-in(s) for {form.phone.data}, proven by "
              f"{document.filename} (SHA-256 {document.sha256[:12]}…).", "success")
        contact_id = events[0].contact_id if events else None
        if contact_id is not None:
            return redirect(url_for("contact.details_view", id=contact_id))
        return redirect(url_for(".index"))

    @expose("/document/<sha256>")
    @talisman(content_security_policy=INERT, frame_options="SAMEORIGIN")
    def document(self, sha256: str) -> Response:
        if not permitted("consent:read"):
            abort(403)
        found = db.session.scalars(sa.select(ConsentDocument).where(
            ConsentDocument.sha256 == sha256)).one_or_none()
        if found is None or found.data is None:
            abort(404)
        response = Response(found.data, mimetype=found.content_type)
        response.headers["Content-Disposition"] = f'inline; filename="{found.sha256[:16]}.' \
                                                  f'{paper.EXTENSIONS[found.content_type]}"'
        return response

    @expose("/snapshot/<sha256>")
    @talisman(content_security_policy=INERT, frame_options="SAMEORIGIN")
    def snapshot(self, sha256: str) -> Response:
        """A hosted form exactly as a person saw it, inert (no scripts, no form posts)."""
        if not permitted("consent:read"):
            abort(403)
        found = db.session.scalars(sa.select(FormSnapshot).where(
            FormSnapshot.sha256 == sha256)).one_or_none()
        if found is None:
            abort(404)
        return Response(found.html, mimetype="text/html")

    def is_accessible(self) -> bool:
        if request.endpoint in ("paperconsent.document", "paperconsent.snapshot"):
            return permitted("consent:read")
        return super().is_accessible()




class FormSubmissionView(ReadOnlyModelView):
    """Consent → Form sign-ups: who submitted which form, and where a double opt-in stands."""

    area = "forms"
    display_name = "Form sign-ups"
    column_list = ("submitted_at", "form", "contact", "status", "confirmed_at", "expires_at",
                   "host_page_url")
    column_labels = {"host_page_url": "On the page", "status": "State"}
    column_filters = ("status", "submitted_at")
    column_default_sort = ("submitted_at", True)
