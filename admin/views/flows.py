"""Flows: the ready-made ones in one click, trigger events and where each person is."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_security import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField
from wtforms.validators import ValidationError

from admin.base import ReadOnlyModelView, SecureModelView, SecureView
from admin.formatters import as_words, flow_steps, truncated
from core.db import db
from core.flows import engine, schedule, seeds, words
from core.models import Campaign, Flow, ScheduledSend


class FlowView(SecureModelView):
    area = "flows"
    column_list = ("name", "trigger", "message_type", "campaign", "enabled", "success_metric",
                   "starts_at", "ends_at")
    column_searchable_list = ("name", "trigger")
    column_filters = ("enabled", "trigger", "starts_at")
    column_formatters = {"steps": flow_steps, "purpose": truncated}
    column_descriptions = {
        "trigger": "What starts it: a form, a booking, an order… (one person at a time), or "
                   "campaign.send (an audience, on a schedule)",
        "steps": "Texts, waits and conditions, in order. Each text is previewed below for a "
                 "sample customer, with what the compliance gate would say about it.",
        "segment": "Who it goes to when it is sent to an audience (campaign.send)",
        "success_metric": "What counts as success, e.g. order.created or appointment.booked",
    }
    form_args = {"campaign": {"blank_text": "— no campaign —"},
                 "segment": {"blank_text": "— everyone —"}}
    form_columns = ("name", "purpose", "campaign", "message_type", "trigger", "segment",
                    "steps", "success_metric", "enabled", "starts_at", "ends_at")
    column_labels = {"message_type": "Kind of messages", "success_metric": "Success is"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The trigger is chosen from the event catalogue (plugins add to it), with what
        # each event means; built when the panel is built, inside the app.
        self.form_choices = {"trigger": [
            (name, f"{name} — {spec.description}")
            for name, spec in sorted(engine.event_types(current_app).items())]}
        super().__init__(*args, **kwargs)
    form_excluded_columns = ("created_at",)
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-play", "try.index", title="Try it: send a test, run "
                              "for a contact, send to an audience", id_arg="flow"),
    ]

    def create_form(self, obj: Any = None) -> Any:
        return self._with_editor(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._with_editor(super().edit_form(obj))

    def _with_editor(self, form: Any) -> Any:
        """The steps field becomes a form of texts, waits and conditions (admin/static/js)."""
        if hasattr(form, "steps"):
            form.steps.render_kw = {"data-editor": "steps", "rows": 8,
                                    "data-config": json.dumps(editor_config(), ensure_ascii=False)}
        return form

    def on_model_change(self, form: Any, model: Flow, is_created: bool) -> None:
        try:
            engine.check_steps(model.steps, model.trigger, current_app)
            check_marketing_texts(model)
        except engine.FlowError as error:
            raise ValidationError(plain_flow_error(str(error))) from None
        super().on_model_change(form, model, is_created)


PLACEHOLDERS = ("[Brand]", "[first_name]", "[last_name]", "[phone]", "[date]", "[time]",
                "[offer]", "[branded link]", "[event.<field>]")


def editor_config() -> dict[str, Any]:
    """What the steps editor offers: ready-made texts, placeholders, events to stop on."""
    campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).first()
    brand = campaign.brand.public_name if campaign and campaign.brand else ""
    texts = [{"name": f"{seed['name']}, text {n}", "text": step["send"]}
             for seed in seeds.SEED_FLOWS
             for n, step in enumerate((s for s in seed["steps"] if "send" in s), start=1)]
    return {"brand": brand, "templates": texts, "placeholders": PLACEHOLDERS,
            "events": sorted(engine.event_types(current_app))}


def check_marketing_texts(flow: Flow) -> None:
    """A marketing text must say how to opt out: say so on the flow, not at send time."""
    if flow.message_type is None or flow.message_type.slug != "marketing":
        return
    for number, step in enumerate(flow.steps or [], start=1):
        text = str(step.get("send", "")).lower()
        if "send" in step and not any(word in text for word in ("stop", "opt out", "opt-out")):
            raise engine.FlowError(
                f"step {number} sends a marketing text that does not say how to opt out: end "
                "it with “Reply STOP to opt out”")


def plain_flow_error(message: str) -> str:
    """A flow check's message, in the words of the person editing the flow."""
    if "unknown placeholder" in message:
        message += " (the placeholders you can use are listed under the text)"
    return (message.replace("a flow needs at least one send step", "add at least one text to send")
            .replace("exactly one of send, wait or stop_if", "a step is a text, a wait or a "
                     "condition"))


class FlowEventView(ReadOnlyModelView):
    area = "flows"
    column_list = ("occurred_at", "kind", "contact", "source", "external_id", "received_at")
    column_searchable_list = ("kind", "external_id")
    column_filters = ("kind", "source", "occurred_at")
    column_default_sort = ("occurred_at", True)
    column_formatters = {"payload": as_words}


class FlowRunView(ReadOnlyModelView):
    area = "flows"
    column_list = ("created_at", "flow", "contact", "event", "step", "status", "next_at", "reason")
    column_filters = ("status", "next_at", "created_at")
    column_default_sort = ("created_at", True)
    column_formatters = {"reason": truncated}


class SeedForm(FlaskForm):
    name = HiddenField()


class FlowTemplatesView(SecureView):
    """The four ready-made flows; each is created (disabled) in one click, then edited."""

    read_permission = "flows:write"

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = SeedForm()
        if form.validate_on_submit():
            if form.name.data not in {s["name"] for s in seeds.SEED_FLOWS}:
                flash("No such ready-made flow.", "danger")
            else:
                campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).first()
                flow = seeds.create(db.session, form.name.data, campaign)
                db.session.commit()
                flash(f"Created “{flow.name}” (disabled): review its steps and enable it.",
                      "success")
                return redirect(url_for("flow.edit_view", id=flow.id))
            return redirect(request.url)
        existing = dict(db.session.execute(sa.select(Flow.name, Flow.id)).all())
        html = self.render("consentdesk/flow_templates.html", seeds=seeds.SEED_FLOWS,
                           existing=existing, form=form, describe=words.step)
        db.session.rollback()
        return html


def _send_link(view: Any, _context: Any, send: ScheduledSend, _name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for("send.status", send_id=send.id),
                                              send.flow.name if send.flow else send.id)


class ScheduledSendView(SecureModelView):
    """Sends to a flow's audience, listed; a new one is made through *Send to an audience*,
    which shows who it reaches and asks for confirmation. Cancel before or during."""

    area = "flows"
    can_create = False
    can_edit = False
    list_template = "consentdesk/scheduled_send_list.html"
    column_list = ("flow", "at", "day", "local_time", "status", "confirmed_count",
                   "created_by", "started_at")
    column_labels = {"confirmed_count": "Confirmed for", "at": "Exact moment",
                     "local_time": "Local time"}
    column_filters = ("status", "at", "day")
    column_formatters = {"report": as_words, "flow": _send_link}
    column_descriptions = {
        "at": "A fixed instant (UTC), or leave empty and give a day and a local time",
        "local_time": "HH:MM in each recipient's own time zone, e.g. 10:00",
    }
    form_columns = ("flow", "at", "day", "local_time")
    action_permissions = {"cancel": "flows:write"}

    def on_model_change(self, form: Any, model: ScheduledSend, is_created: bool) -> None:
        if model.status not in (None, "scheduled"):
            raise ValidationError("only a send that has not started can be changed; cancel it")
        if model.at is None and not (model.day and model.local_time):
            raise ValidationError("give an instant, or a day and a local time")
        if model.local_time:
            try:
                time.fromisoformat(model.local_time)
            except ValueError:
                raise ValidationError("local time must be HH:MM, e.g. 10:00") from None
        if is_created:
            model.created_by = current_user.email
        super().on_model_change(form, model, is_created)

    @action("cancel", "Cancel", "Cancel the selected sends? Texts not yet sent are stopped.")
    def cancel(self, ids: list[str]) -> None:
        stopped = 0
        for send in self.db_session.scalars(sa.select(ScheduledSend).where(
                ScheduledSend.id.in_(self.typed_ids(ids)),
                ScheduledSend.status.in_(("scheduled", "started", "done")))):
            stopped += schedule.cancel(self.db_session, send, current_user.email)
        self.db_session.commit()
        flash(f"Cancelled; {stopped} text(s) stopped before going out.", "success")
