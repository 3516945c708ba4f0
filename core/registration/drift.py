"""The drift watch: freeze a campaign's registration when it is submitted or approved, and
flag any later change to the records that makes it untrue, until someone re-reviews it.

A version holds the registration's text fields and the evidence behind them: the opt-in
keywords, each published form with its disclosure version, the enabled flows with their
message types and texts, the sender numbers and the brand's public pages. :func:`changes`
compares the live records with the latest version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.models import Campaign, RegistrationVersion
from core.registration import facts

WATCHED = ("submitted", "approved")
FIELDS = ("use_case", "description", "message_flow", "sample_messages", "call_to_action",
          "opt_in_keywords", "opt_in_confirmation", "help_text", "message_frequency")


@dataclass(frozen=True)
class Change:
    what: str  # keyword, form, flow, sender, brand, registration
    detail: str
    untrue: bool  # the registration now says something false (not merely out of date)


def registration_fields(campaign: Campaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in FIELDS}


def evidence(session: Session, app: Flask, campaign: Campaign) -> dict[str, Any]:
    brand = campaign.brand
    base = facts.public_base(app, brand)
    return {
        "opt_in_keywords": sorted({k.upper() for k in campaign.opt_in_keywords or ()}),
        "forms": {form.slug: {
            "name": form.name, "url": f"{base}/f/{form.slug}",
            "disclosure": f"{form.disclosure.name} v{form.disclosure.version}",
            "disclosure_sha256": form.disclosure.content_hash,
            "message_types": sorted(t.slug for t in form.message_types),
            "double_opt_in": form.double_opt_in,
        } for form in facts.campaign_forms(session, campaign)},
        "flows": {str(flow.id): {
            "name": flow.name, "message_type": flow.message_type.slug,
            "texts": [s["send"] for s in flow.steps or () if isinstance(s, dict)
                      and s.get("send")],
        } for flow in facts.campaign_flows(session, campaign)},
        "numbers": sorted(s.address for s in campaign.senders),
        "brand": {"public_name": brand.public_name, "legal_name": brand.legal_name,
                  "website": brand.website, "terms_url": brand.terms_url,
                  "privacy_policy_url": brand.privacy_policy_url,
                  "sms_terms_sha256": _sha(brand.sms_terms or ""),
                  "privacy_clause_sha256": _sha(brand.privacy_clause or "")},
    }


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str)
                          .encode()).hexdigest()


def freeze(session: Session, app: Flask, campaign: Campaign, reason: str,
           actor: str) -> RegistrationVersion:
    """Write the registration as it stands now as a new version."""
    fields, found = registration_fields(campaign), evidence(session, app, campaign)
    version = RegistrationVersion(campaign_id=campaign.id, reason=reason, fields=fields,
                                  evidence=found, sha256=_sha([fields, found]), actor=actor)
    session.add(version)
    session.flush()
    return version


def latest(session: Session, campaign: Campaign) -> RegistrationVersion | None:
    return session.scalars(sa.select(RegistrationVersion).where(
        RegistrationVersion.campaign_id == campaign.id)
        .order_by(RegistrationVersion.id.desc()).limit(1)).first()


def watched(campaign: Campaign) -> bool:
    return campaign.status in WATCHED


def changes(session: Session, app: Flask, campaign: Campaign) -> list[Change]:
    """What changed since the latest version, untrue first; empty when nothing did (or the
    campaign is not submitted or approved)."""
    version = latest(session, campaign)
    if version is None or not watched(campaign):
        return []
    then, now = version.evidence, evidence(session, app, campaign)
    found: list[Change] = []
    found += _fields(version.fields, registration_fields(campaign))
    found += _keywords(then["opt_in_keywords"], now["opt_in_keywords"])
    found += _forms(then["forms"], now["forms"])
    found += _flows(then["flows"], now["flows"], campaign.use_case)
    for number in sorted(set(now["numbers"]) - set(then["numbers"])):
        found.append(Change("sender", f"New sender {number} is not on the registration.", True))
    for key, label in (("website", "website"), ("terms_url", "terms URL"),
                       ("privacy_policy_url", "privacy policy URL"),
                       ("sms_terms_sha256", "SMS terms"),
                       ("privacy_clause_sha256", "privacy policy's SMS clause"),
                       ("public_name", "brand name"), ("legal_name", "legal name")):
        if then["brand"].get(key) != now["brand"].get(key):
            found.append(Change("brand", f"The brand's {label} changed since registration.",
                                key in ("website", "public_name", "legal_name")))
    found.sort(key=lambda c: not c.untrue)
    return found


def _fields(then: dict, now: dict) -> list[Change]:
    return [Change("registration", f"The campaign's {name.replace('_', ' ')} was edited after "
                   "it was registered: submit the change or put it back.", False)
            for name in FIELDS if then.get(name) != now.get(name)]


def _keywords(then: list[str], now: list[str]) -> list[Change]:
    added = [Change("keyword", f"New opt-in keyword {word} is not in the registered message "
                    "flow.", True) for word in now if word not in then]
    gone = [Change("keyword", f"The registered keyword {word} no longer joins anyone.", True)
            for word in then if word not in now]
    return added + gone


def _forms(then: dict, now: dict) -> list[Change]:
    found = []
    for slug, form in now.items():
        before = then.get(slug)
        if before is None:
            found.append(Change("form", f"New opt-in form “{form['name']}” ({form['url']}) is "
                                "not in the registered message flow.", True))
            continue
        if before["disclosure_sha256"] != form["disclosure_sha256"]:
            found.append(Change("form", f"The consent text on “{form['name']}” changed "
                                f"({before['disclosure']} → {form['disclosure']}).", True))
        if before["message_types"] != form["message_types"]:
            found.append(Change("form", f"“{form['name']}” now asks for "
                                f"{', '.join(form['message_types'])} instead of "
                                f"{', '.join(before['message_types'])}.", True))
    for slug, form in then.items():
        if slug not in now:
            found.append(Change("form", f"The registered form “{form['name']}” ({form['url']}) "
                                "is no longer published: the reviewer's link is dead.", True))
    return found


def _flows(then: dict, now: dict, use_case: str) -> list[Change]:
    types_then = {flow["message_type"] for flow in then.values()}
    found = []
    for key, flow in now.items():
        before = then.get(key)
        if before is None:
            new_type = flow["message_type"] not in types_then
            promotes = flow["message_type"] == "marketing" and \
                (use_case or "").upper() not in ("MARKETING", "MIXED", "LOW_VOLUME")
            found.append(Change(
                "flow", f"New flow “{flow['name']}” sends {flow['message_type']} texts"
                + (", which this registration does not cover" if new_type or promotes
                   else ", not among the registered samples") + ".", new_type or promotes))
        elif before["texts"] != flow["texts"]:
            found.append(Change("flow", f"The texts of “{flow['name']}” changed since "
                                "registration.", False))
        elif before["message_type"] != flow["message_type"]:
            found.append(Change("flow", f"“{flow['name']}” now sends {flow['message_type']} "
                                f"texts instead of {before['message_type']}.", True))
    return found


def flagged(session: Session, app: Flask) -> list[tuple[Campaign, list[Change]]]:
    """Every submitted or approved campaign whose registration the records no longer match."""
    found = []
    for campaign in session.scalars(sa.select(Campaign).where(Campaign.status.in_(WATCHED))
                                    .order_by(Campaign.id)):
        drift = changes(session, app, campaign)
        if drift:
            found.append((campaign, drift))
    return found
