"""System → Integrations: what is installed, connecting one, its webhook URLs, the last
deliveries with their outcome, and replaying a failed one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import Form

from admin.base import SecureView, permitted
from core.db import db
from core.integrations import connections, intake
from core.models import IntegrationDelivery, OutgoingWebhook
from hooks.integrations import Integration

SHOWN = 25


def webhook_urls(integration: Integration) -> list[str]:
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return [f"{base}/hooks/integrations/{integration.name}/{route}"
            for route in integration.routes]


class IntegrationsView(SecureView):
    area = "integrations"

    def _installed(self) -> dict[str, Integration]:
        return current_app.extensions["consentdesk"].integrations

    @expose("/")
    def index(self) -> Any:
        installed = self._installed()
        session = db.session
        connected = {name: connections.find(session, name) for name in installed}
        counts = dict(session.execute(
            sa.select(IntegrationDelivery.integration, sa.func.count())
            .where(IntegrationDelivery.status == "failed")
            .group_by(IntegrationDelivery.integration)).all())
        html = self.render("consentdesk/integrations.html", installed=installed,
                           connected=connected, failed=counts)
        session.rollback()
        return html

    @expose("/<integration_name>/", methods=("GET", "POST"))
    def detail(self, integration_name: str) -> Any:
        name = integration_name
        integration = self._installed().get(name)
        if integration is None:
            abort(404)
        connection = connections.find(db.session, name)
        form = self._form(integration, connection)
        if request.method == "POST":
            if not permitted("integrations:write"):
                abort(403)
            if form is not None and form.validate():
                connections.save(db.session, current_app, integration, dict(form.data),
                                 current_user.email)
                db.session.commit()
                flash(f"{integration.label} is connected. Paste the webhook address below into "
                      f"{integration.label}.", "success")
                return redirect(url_for(".detail", integration_name=name))
        deliveries = db.session.scalars(
            sa.select(IntegrationDelivery).where(IntegrationDelivery.integration == name)
            .order_by(IntegrationDelivery.id.desc()).limit(SHOWN)).all()
        forwarded = db.session.scalars(
            sa.select(OutgoingWebhook).where(OutgoingWebhook.integration == name)
            .order_by(OutgoingWebhook.id.desc()).limit(SHOWN)).all()
        html = self.render("consentdesk/integration.html", integration=integration,
                           forwarded=forwarded,
                           connection=connection, form=form, urls=webhook_urls(integration),
                           deliveries=deliveries, can_write=permitted("integrations:write"),
                           can_replay=permitted("integrations:replay"))
        db.session.rollback()
        return html

    def _form(self, integration: Integration, connection: Any) -> Form | None:
        if integration.settings_form is None:
            return None
        saved = dict(connection.settings or {}) if connection else {}
        form = integration.settings_form(request.form if request.method == "POST" else None,
                                         data=saved)
        try:
            saved_secrets = connections.decrypt(current_app, connection.secrets) \
                if connection is not None else {}
        except connections.SecretsUnreadable as error:
            flash(str(error), "danger")
            saved_secrets = {}
        for name in integration.secret_fields:
            field = getattr(form, name, None)
            if field is None:
                continue
            field.data = request.form.get(name, "") if request.method == "POST" else ""
            kept = bool(saved_secrets.get(name))
            field.description = ("Saved and never shown again; leave empty to keep it."
                                 if kept else field.description or "Kept encrypted; never "
                                                                   "shown again.")
            if kept:  # a saved secret need not be typed again
                field.validators = [v for v in field.validators
                                    if not getattr(v, "field_flags", {}).get("required")]
                field.flags.required = False
        return form

    @expose("/<integration_name>/replay/<int:delivery_id>", methods=("POST",))
    def replay(self, integration_name: str, delivery_id: int) -> Any:
        name = integration_name
        if not permitted("integrations:replay"):
            abort(403)
        db.session.rollback()  # SQLite: the request's own read holds the write lock
        try:
            intake.replay(current_app, delivery_id)
        except ValueError as error:
            flash(str(error), "danger")
        else:
            delivery = db.session.get(IntegrationDelivery, delivery_id)
            if delivery is not None:
                flash(f"Delivery {delivery_id} run again: {delivery.status}"
                      f"{' — ' + delivery.outcome if delivery.outcome else ''}"[:500],
                      "success" if delivery.status in ("processed", "ignored", "queued")
                      else "danger")
        return redirect(url_for(".detail", integration_name=name))
