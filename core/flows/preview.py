"""What a flow's texts will look like for a sample contact, with the gate's content findings.

Shown live in the flow editor: each send step rendered, its length, encoding and segment
count, and what the content rules would say (brand missing, no opt-out language, public
shortener...), before anything is saved or queued.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core import segments
from core.flows import engine, links, templates
from core.gate.check import gate_for
from core.models import Campaign
from hooks.types import OutgoingMessage

SAMPLE_ZONE = "America/New_York"
SAMPLE_CODE = "AbCdEfGhIjK"


def preview(session: Session, app: Flask, steps_text: str, trigger: str,
            message_type: str, campaign_id: int | None = None) -> dict[str, Any]:
    try:
        steps = json.loads(steps_text or "[]")
        engine.check_steps(steps, trigger, app)
    except (ValueError, engine.FlowError) as error:
        return {"error": str(error), "steps": []}
    query = sa.select(Campaign).order_by(Campaign.id)
    if campaign_id:
        query = query.where(Campaign.id == campaign_id)
    campaign = session.scalars(query).first()
    brand = campaign.brand if campaign else None
    spec = engine.event_types(app)[trigger]
    moment = (datetime.now(ZoneInfo(SAMPLE_ZONE)) + timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0)
    event = {field: f"sample-{field}" for field in spec.fields}
    event.update(url="https://example.com/page", offer="20% off this weekend.")
    domain = links.link_base(app, brand)
    gate = gate_for(app)
    shown = []
    for number, step in enumerate(steps, start=1):
        if "send" not in step:
            continue
        try:
            body = _render(step, brand, moment, event, domain)
        except templates.TemplateError as error:
            shown.append({"step": number, "text": "", "encoding": "", "characters": 0,
                          "segments": 0, "findings": [f"not rendered: {error}"]})
            continue
        counted = segments.count(body)
        first = not any("send" in s for s in steps[:number - 1])
        findings = [f"{r.code}: {r.detail}" for r in gate.content_findings(
            body, brand, message_type, first)]
        view = OutgoingMessage(phone="+12125550123", message_type=message_type, body=body,
                               brand=brand.public_name if brand else None, state="NY",
                               local_time=moment, attributes={})
        findings += [f"{name}: {detail}" for name, rule in gate.plugin_rules
                     for detail in rule(view)]
        shown.append({"step": number, "text": body, "encoding": counted.encoding,
                      "characters": counted.characters, "segments": counted.segments,
                      "findings": findings})
    warnings = [links.LOCAL_LINKS_WARNING] if links.is_local(domain) and any(
        "[branded link]" in (s.get("send") or "") for s in steps) else []
    return {"error": None, "steps": shown, "warnings": warnings}


def _render(step: dict[str, Any], brand: Any, moment: datetime, event: dict[str, Any],
            domain: str) -> str:
    return templates.render(step["send"], templates.Context(
        brand=brand.public_name if brand else "Your brand",
        support_phone=brand.support_phone if brand else None, first_name="Ana",
        last_name="Rivera", timezone=SAMPLE_ZONE, moment=moment,
        offer=step.get("offer") or event["offer"], event=event,
        link=lambda: f"{domain.rstrip('/')}/l/{SAMPLE_CODE}",
        preferences_link=lambda: f"{domain.rstrip('/')}/l/{SAMPLE_CODE}"))
