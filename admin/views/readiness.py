"""A campaign's registration readiness: the checker's findings, the generated texts to
use, the drift watch and the provider's registration request. Reached from each campaign's
row (and the dashboard when a registration drifted)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_security import current_user

from admin.base import SecureView, permitted
from core import audit
from core.db import db
from core.models import Campaign
from core.registration import checker, drift, facts, generate, submission
from core.registration.checker import GROUP_LABELS, SEVERITY_LABELS
from core.registration.fetch import live_pages
from hooks.providers import ProviderFailure

APPLICABLE = {"description": "Description", "message_flow": "Message flow",
              "call_to_action": "Call to action", "sample_messages": "Sample messages",
              "sms_terms": "SMS terms (brand)", "privacy_clause": "Privacy clause (brand)"}


class ReadinessView(SecureView):
    area = "campaigns"

    @expose("/")
    def index(self) -> str:
        rows = []
        rules = checker.rules_for(current_app)
        for campaign in db.session.scalars(sa.select(Campaign).order_by(Campaign.id)):
            findings = checker.check(facts.from_campaign(db.session, current_app, campaign),
                                     rules)
            rows.append((campaign, findings, drift.changes(db.session, current_app, campaign)))
        html = self.render("consentdesk/readiness_list.html", rows=rows)
        db.session.rollback()
        return html

    @expose("/<int:campaign_id>", methods=("GET", "POST"))
    def campaign(self, campaign_id: int) -> Any:
        campaign = self._campaign(campaign_id)
        pages: dict[str, str] = {}
        errors: list[str] = []
        if request.method == "POST":  # "Read the live pages": nothing is stored
            pages, errors = live_pages(campaign.brand)
        registration = facts.from_campaign(db.session, current_app, campaign, pages=pages)
        findings = checker.check(registration, checker.rules_for(current_app))
        generated = generate.everything(db.session, current_app, campaign)
        generated_findings = checker.check(_as_generated(registration, generated),
                                           checker.rules_for(current_app))
        html = self.render(
            "consentdesk/readiness.html", campaign=campaign, findings=findings,
            groups=GROUP_LABELS, severities=SEVERITY_LABELS, generated=generated,
            generated_blocking=checker.blocking(generated_findings),
            applicable=APPLICABLE, current=_current(campaign), pages=pages, errors=errors,
            drift=drift.changes(db.session, current_app, campaign),
            version=drift.latest(db.session, campaign), watched=drift.watched(campaign),
            payload=_payload(campaign), can_write=permitted("campaigns:write"),
            can_submit=bool(getattr(submission.provider_for(current_app, campaign),
                                    "can_submit_registration", False)),
            hosted={"terms": facts.hosted_url(current_app, campaign.brand, "terms"),
                    "privacy": facts.hosted_url(current_app, campaign.brand, "privacy")})
        db.session.rollback()
        return html

    @expose("/<int:campaign_id>/apply", methods=("POST",))
    def apply(self, campaign_id: int) -> Any:
        self._need_write()
        campaign = self._campaign(campaign_id)
        names = [n for n in request.form.getlist("field") if n in APPLICABLE]
        before = {n: _value(campaign, n) for n in names}
        changed = generate.apply(db.session, current_app, campaign, names)
        for name in changed:
            row = campaign.brand if name in ("sms_terms", "privacy_clause") else campaign
            audit.record(db.session, current_user.email, "update", row,
                         before={name: before[name]}, after={name: _value(campaign, name)})
        db.session.commit()
        flash(f"Used the generated {', '.join(APPLICABLE[n].lower() for n in changed)}."
              if changed else "Nothing changed: the records already hold the generated text.",
              "success" if changed else "info")
        return redirect(url_for(".campaign", campaign_id=campaign_id))

    @expose("/<int:campaign_id>/review", methods=("POST",))
    def review(self, campaign_id: int) -> Any:
        """Someone read the changes and the registration still holds (or was resubmitted)."""
        self._need_write()
        campaign = self._campaign(campaign_id)
        version = drift.freeze(db.session, current_app, campaign, "re-reviewed",
                               current_user.email)
        audit.record(db.session, current_user.email, "create", version,
                     after={"reason": "re-reviewed", "campaign_id": campaign.id})
        db.session.commit()
        flash("Re-reviewed: the registration as it stands now is the one the watch compares "
              "with.", "success")
        return redirect(url_for(".campaign", campaign_id=campaign_id))

    @expose("/<int:campaign_id>/submit", methods=("POST",))
    def submit(self, campaign_id: int) -> Any:
        """Submit the registration through the campaign's provider, or ask how it stands."""
        self._need_write()
        campaign = self._campaign(campaign_id)
        asking = request.form.get("step") == "status"
        try:
            status = (submission.refresh if asking else submission.submit)(
                db.session, current_app, campaign, current_user.email)
        except (ProviderFailure, ValueError) as error:
            db.session.rollback()
            flash(f"The provider did not take it: {error}", "danger")
            return redirect(url_for(".campaign", campaign_id=campaign_id))
        audit.record(db.session, current_user.email, "update", campaign, after={
            "status": campaign.status, "registration_reference": status.reference})
        db.session.commit()
        flash({"pending": f"Submitted ({status.reference}): the reviewer has not answered yet.",
               "approved": "Approved by the reviewer.",
               "rejected": f"Rejected: {status.reason or 'no reason given'}"}[status.state],
              {"pending": "info", "approved": "success", "rejected": "danger"}[status.state])
        return redirect(url_for(".campaign", campaign_id=campaign_id))

    @expose("/<int:campaign_id>/payload.json")
    def payload(self, campaign_id: int) -> Response:
        campaign = self._campaign(campaign_id)
        found = _payload(campaign)
        db.session.rollback()
        if found is None:
            abort(404)
        provider, body = found
        return Response(json.dumps(body, indent=2, ensure_ascii=False),
                        mimetype="application/json", headers={
                            "Content-Disposition": f"attachment; filename=campaign-"
                                                   f"{campaign_id}-{provider}.json"})

    def _campaign(self, campaign_id: int) -> Campaign:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            abort(404)
        return campaign

    def _need_write(self) -> None:
        if not permitted("campaigns:write"):
            abort(403)


def _value(campaign: Campaign, name: str) -> Any:
    row = campaign.brand if name in ("sms_terms", "privacy_clause") else campaign
    return getattr(row, name)


def _current(campaign: Campaign) -> dict[str, Any]:
    return {name: _value(campaign, name) for name in APPLICABLE}


def _as_generated(registration: facts.Registration, generated: dict) -> facts.Registration:
    return replace(registration, description=generated["description"],
                   message_flow=generated["message_flow"],
                   call_to_action=generated["call_to_action"],
                   samples=tuple(generated["samples"]), terms=generated["sms_terms"],
                   privacy=generated["privacy_clause"])


def _payload(campaign: Campaign) -> tuple[str, dict] | None:
    return submission.payload(current_app, campaign)
