"""Submitting a campaign's registration through its sender's provider plugin, and reading
the reviewer's answer back. The campaign's status follows the vendor's: submitted while it
is pending, then approved or rejected (with the reason); each step freezes the
registration for the drift watch."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.models import Campaign
from core.registration import drift
from hooks.providers import Provider, RegistrationStatus


def provider_for(app: Flask, campaign: Campaign) -> Provider | None:
    """The provider of the campaign's first sender whose plugin is installed."""
    providers = app.extensions["consentdesk"].providers
    name = next((s.provider for s in sorted(campaign.senders, key=lambda s: s.id)
                 if s.provider in providers), None)
    return providers[name] if name else None


def payload(app: Flask, campaign: Campaign) -> tuple[str, dict[str, Any]] | None:
    """The registration request the campaign's provider would send, from the records."""
    provider = provider_for(app, campaign)
    if provider is None:
        return None
    brand = campaign.brand
    brand_fields = {c.key: getattr(brand, c.key) for c in sa.inspect(brand).mapper.column_attrs
                    if c.key not in ("sms_terms", "privacy_clause", "created_at")}
    campaign_fields = {c.key: getattr(campaign, c.key) for c in
                       sa.inspect(campaign).mapper.column_attrs if c.key != "created_at"}
    return provider.name, provider.registration_payload(brand_fields, campaign_fields)


def submit(session: Session, app: Flask, campaign: Campaign, actor: str) -> RegistrationStatus:
    """Send the request; the campaign becomes submitted. Raises the provider's failures."""
    provider = provider_for(app, campaign)
    if provider is None or not provider.can_submit_registration:
        raise ValueError("this campaign's provider cannot submit registrations: download the "
                         "request and submit it in the provider's console")
    _name, body = payload(app, campaign)
    status = provider.submit_registration(body)
    campaign.registration_provider = provider.name
    campaign.registration_reference = status.reference
    _follow(session, app, campaign, status, actor)
    return status


def refresh(session: Session, app: Flask, campaign: Campaign, actor: str) -> RegistrationStatus:
    """Ask the provider where the submission stands; the campaign follows."""
    providers = app.extensions["consentdesk"].providers
    provider = providers.get(campaign.registration_provider or "")
    if provider is None or not campaign.registration_reference:
        raise ValueError("nothing was submitted through a provider for this campaign")
    status = provider.registration_status(campaign.registration_reference)
    _follow(session, app, campaign, status, actor)
    return status


def _follow(session: Session, app: Flask, campaign: Campaign, status: RegistrationStatus,
            actor: str) -> None:
    new = {"pending": "submitted", "approved": "approved", "rejected": "rejected"}[status.state]
    campaign.registration_note = status.reason
    if campaign.status == new:
        return
    campaign.status = new
    session.flush()
    if new in drift.WATCHED:
        drift.freeze(session, app, campaign, new, actor)
