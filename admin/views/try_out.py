"""Trying a flow without the command line: a test text, a run for one contact, a conversion.

Reached from a flow's row (the play icon), from a contact's page and from *Record a
conversion*; the event's fields are a form, not JSON.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_security import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from admin.base import SecureView, permitted
from admin.validators import e164_phone
from core import audit
from core.db import db
from core.flows import engine, try_out
from core.flows.send_preview import SCHEDULABLE
from core.models import Flow
from core.phone import InvalidPhone

KINDS = [("order.created", "An order"), ("appointment.booked", "A booking"),
         ("review", "A review"), ("reply", "A reply"), ("other", "Something else")]


class PhoneForm(FlaskForm):
    """One of the page's two phone boxes. Both sit in one form with the event's details, so
    neither is required by the browser (each button needs only its own); the page's CSRF
    token is the event form's, checked for every POST by CSRFProtect."""

    class Meta:
        csrf = False

    phone = StringField("Phone", validators=[lambda form, field: _given(field), e164_phone])


def _given(field: Any) -> None:
    # Not InputRequired: that would make the browser demand both boxes for either button.
    if not (field.data or "").strip():
        raise StopValidation("Enter a phone number.")


def payload_form(app, flow: Flow, data=None) -> FlaskForm:
    """A form with one field per field of the flow's trigger event."""
    spec = engine.event_types(app).get(flow.trigger)
    sample = try_out.sample_payload(app, flow)

    class EventForm(FlaskForm):
        pass

    for name in spec.fields if spec else ():
        help_text = ("A date and time, e.g. 2026-12-10T15:00:00-05:00"
                     if spec.time_field == name else "")
        setattr(EventForm, f"event_{name}", StringField(
            name.replace("_", " ").capitalize(), default=sample.get(name, ""),
            description=help_text))
    if spec and spec.time_field and spec.time_field not in spec.fields:
        setattr(EventForm, f"event_{spec.time_field}", StringField(
            spec.time_field.replace("_", " ").capitalize(), default=sample[spec.time_field]))
    return EventForm(formdata=data, prefix="")


def payload_of(form: FlaskForm) -> dict[str, Any]:
    return {name.removeprefix("event_"): field.data for name, field in form._fields.items()
            if name.startswith("event_") and field.data not in (None, "")}


class TryView(SecureView):
    """Send a test, run a flow for a contact: reached from flows and contacts, not the menu."""

    read_permission = "flows:write"

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        flows = db.session.scalars(sa.select(Flow).order_by(Flow.name)).all()
        flow_id = request.values.get("flow", type=int)
        flow = db.session.get(Flow, flow_id) if flow_id else None
        phone = request.values.get("phone", "")
        if flow is None:
            html = self.render("consentdesk/try_choose.html", flows=flows, phone=phone)
            db.session.rollback()
            return html
        test = PhoneForm(prefix="test", data={"phone": phone or (current_user.phone or "")})
        run = PhoneForm(prefix="run", data={"phone": phone})
        steps = try_out.message_steps(flow)
        event = payload_form(current_app, flow, request.form if request.method == "POST" else None)
        result = None
        if request.method == "POST":
            result = self._act(flow, test, run, event, steps)
            if result is None:
                return redirect(url_for(".index", flow=flow.id, phone=phone))
        html = self.render("consentdesk/try_flow.html", flow=flow, test=test, run=run,
                           event=event, steps=steps, result=result,
                           per_person=flow.trigger not in SCHEDULABLE)
        db.session.rollback()
        return html

    def _act(self, flow: Flow, test: PhoneForm, run: PhoneForm, event: FlaskForm,
             steps: list) -> dict[str, Any] | None:
        what = request.form.get("do")
        try:
            if what == "test" and test.validate():
                message = try_out.send_test(db.session, current_app, flow,
                                            request.form.get("step", type=int, default=-1),
                                            test.phone.data, current_user.email,
                                            payload_of(event))
                db.session.commit()
                return {"kind": "test", "message": message}
            if what == "run" and run.validate():
                found, runs = try_out.run_for(db.session, current_app, flow, run.phone.data,
                                              payload_of(event), current_user.email)
                db.session.commit()
                return {"kind": "run", "event": found, "runs": runs}
        except (try_out.TryOutError, InvalidPhone) as error:
            db.session.rollback()
            return {"kind": "error", "error": str(error)}
        return {"kind": "error", "error": "Check the phone number."}

    @expose("/conversion", methods=("GET", "POST"))
    def conversion(self) -> Any:
        if not permitted("conversions:record"):
            abort(403)
        form = ConversionForm(data={"phone": request.args.get("phone", "")})
        form.flow.choices = [(0, "— credit it by the rules (last click or delivery) —")] + [
            (f.id, f.name) for f in db.session.scalars(sa.select(Flow).order_by(Flow.name))]
        if form.validate_on_submit():
            flow = db.session.get(Flow, form.flow.data) if form.flow.data else None
            try:
                value = Decimal(form.value.data) if form.value.data is not None else None
                conversion = try_out.record_conversion(db.session, form.phone.data,
                                                       form.kind.data, value, flow,
                                                       current_user.email)
            except (try_out.TryOutError, InvalidPhone, InvalidOperation) as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                audit.record(db.session, current_user.email, "create", conversion,
                             after=audit.snapshot(conversion))
                db.session.commit()
                flash("Conversion recorded" + (f", credited to “{flow.name}”." if flow
                                               else "."), "success")
                return redirect(url_for("conversion.index_view"))
        html = self.render("consentdesk/record_conversion.html", form=form)
        db.session.rollback()
        return html

    def is_accessible(self) -> bool:
        if request.endpoint == "try.conversion":
            return permitted("conversions:record")
        return super().is_accessible()


class ConversionForm(FlaskForm):
    phone = StringField("Contact's phone", validators=[InputRequired(), e164_phone])
    kind = SelectField("What happened", choices=KINDS, default="order.created")
    value = DecimalField("Value ($)", places=2, validators=[Optional(), NumberRange(min=0)])
    flow = SelectField("Credit it to", coerce=int, default=0)
