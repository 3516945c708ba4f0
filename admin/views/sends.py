"""Sending to an audience, safely: choose, see who it reaches and why not, confirm the number.

Only a flow whose trigger is a schedule or a segment can be sent to an audience. Before
anything is written the screen shows how many people it reaches, how many the gate blocks
and why, who waits for quiet hours and until when in their own time, and five texts as their
recipients will read them. Sending needs a click on a button that repeats the number; a
scheduled send can be cancelled until it starts, a running one paused and resumed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_security import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, TimeField
from wtforms.validators import InputRequired, Optional, ValidationError

from admin.base import SecureView
from core.db import db, utcnow
from core.flows import schedule, send_preview, sends
from core.models import Flow, ScheduledSend

US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
            "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu")
WHEN = [("now", "Now"), ("local", "On a day, at a time in each person's own time zone"),
        ("at", "At an exact moment")]


class SendForm(FlaskForm):
    flow = SelectField("Flow", coerce=int, validators=[InputRequired()])
    when = RadioField("When", choices=WHEN, default="local")
    day = DateField("Day", validators=[Optional()])
    time = TimeField("Time", validators=[Optional()], default=time(10, 0))
    zone = SelectField("Time zone (exact moment)", choices=[(z, z) for z in US_ZONES],
                       default=US_ZONES[0])

    def validate_day(self, field: Any) -> None:
        if self.when.data in ("local", "at") and not field.data:
            raise ValidationError("Choose the day it goes out.")
        if self.when.data in ("local", "at") and field.data and field.data < date.today():
            raise ValidationError("That day has passed.")

    def validate_time(self, field: Any) -> None:
        if self.when.data in ("local", "at") and not field.data:
            raise ValidationError("Choose the time it goes out.")


class ConfirmForm(SendForm):
    confirmed = IntegerField(validators=[InputRequired()])
    action = HiddenField(default="confirm")


def moment(form: SendForm) -> tuple[datetime | None, date | None, time | None]:
    """(exact instant, day, local time) the form asks for; all None means now."""
    if form.when.data == "at":
        return datetime.combine(form.day.data, form.time.data, ZoneInfo(form.zone.data)), \
            None, None
    if form.when.data == "local":
        return None, form.day.data, form.time.data
    return None, None, None


class SendView(SecureView):
    """Messaging → Send to an audience."""

    read_permission = "flows:write"

    def _form(self, form_class=SendForm) -> SendForm:
        form = form_class()
        flows = db.session.scalars(sa.select(Flow).order_by(Flow.name)).all()
        form.flow.choices = [(f.id, f.name) for f in flows
                             if f.trigger in send_preview.SCHEDULABLE]
        if request.method == "GET" and request.args.get("flow", "").isdigit():
            form.flow.data = int(request.args["flow"])
        return form, [f for f in flows if f.trigger not in send_preview.SCHEDULABLE]

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form, others = self._form()
        if request.method == "POST" and form.validate():
            return self._preview(form)
        asked = request.args.get("flow", "")
        refused = next((f for f in others if str(f.id) == asked), None)
        html = self.render("consentdesk/send_choose.html", form=form, others=others,
                           refused=refused)
        db.session.rollback()
        return html

    def _preview(self, form: SendForm, problem: str | None = None) -> Any:
        flow = db.session.get(Flow, form.flow.data)
        if flow is None:
            abort(404)
        at, day, local_time = moment(form)
        try:
            result = send_preview.preview(db.session, current_app, flow, at or utcnow(),
                                          local_time, day=day)
        except send_preview.SendRefused as error:
            flash(str(error), "danger")
            return redirect(url_for(".index"))
        html = self.render("consentdesk/send_preview.html", form=form, flow=flow,
                           preview=result, reasons=send_preview.REASONS, problem=problem,
                           at=at, day=day, local_time=local_time)
        db.session.rollback()
        return html

    @expose("/confirm", methods=("POST",))
    def confirm(self) -> Any:
        form, _ = self._form(ConfirmForm)
        if not form.validate():
            flash("Those choices were not complete; choose again.", "danger")
            return redirect(url_for(".index"))
        flow = db.session.get(Flow, form.flow.data)
        at, day, local_time = moment(form)
        try:
            send = sends.start(db.session, current_app, flow, current_user.email,
                               form.confirmed.data, at=at, day=day, local_time=local_time)
        except sends.SendChanged as error:
            db.session.rollback()
            return self._preview(form, problem=str(error))
        except send_preview.SendRefused as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(f"“{flow.name}”: {form.confirmed.data:,} people "
              + ("— the texts are going out." if send.status != "scheduled"
                 else "— scheduled."), "success")
        return redirect(url_for(".status", send_id=send.id))

    @expose("/<int:send_id>", methods=("GET", "POST"))
    def status(self, send_id: int) -> Any:
        send = db.session.get(ScheduledSend, send_id)
        if send is None:
            abort(404)
        form = FlaskForm()
        if request.method == "POST" and form.validate():
            return self._act(send, request.form.get("do", ""))
        counts = sends.progress(db.session, send)
        starts = schedule.starts_at(db.session, send) if send.status == "scheduled" else None
        html = self.render("consentdesk/send_status.html", send=send, counts=counts,
                           form=form, starts=starts)
        db.session.rollback()
        return html

    def _act(self, send: ScheduledSend, do: str) -> Any:
        try:
            if do == "cancel":
                stopped = schedule.cancel(db.session, send, current_user.email)
                message = f"Cancelled; {stopped:,} text(s) stopped before going out."
            elif do == "pause":
                held = sends.pause(db.session, send)
                message = f"Paused; {held:,} text(s) wait until you resume."
            elif do == "resume":
                resumed = sends.resume(db.session, send)
                message = f"Resumed; {resumed:,} text(s) go out again, each checked again."
            else:
                abort(400)
        except send_preview.SendRefused as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".status", send_id=send.id))
        db.session.commit()
        flash(message, "success")
        return redirect(url_for(".status", send_id=send.id))
