"""Yearly flows from a contact's date attribute: a birthday, a membership anniversary.

A flow triggered by ``contact.birthday`` (attribute ``birthday``) or ``contact.anniversary``
(attribute ``member_since``) starts for a contact on that date each year, once the contact's
own local time reaches ``ANNIVERSARY_HOUR`` (10:00 unless configured), through the same gate
as every text (consent, quiet hours, caps). The date is ``YYYY-MM-DD`` or ``MM-DD`` as a CRM or
loyalty system sends it (the generic webhook maps any field onto these attributes); a 29
February is kept on 28 February in other years. Each contact gets the event once a year
(its external id names the kind, the year and the contact), so the every-minute sweep can
look again without ever sending twice.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.flows import engine
from core.gate.check import FALLBACK_ZONE
from core.models import Contact, Flow, FlowEvent

KINDS = {"contact.birthday": "birthday", "contact.anniversary": "member_since"}
SOURCE = "anniversary"
BATCH = 500


def run_due(session: Session, app: Flask, now: datetime) -> int:
    """Record today's anniversaries whose local hour has come; how many were recorded."""
    kinds = set(session.scalars(sa.select(Flow.trigger).where(
        Flow.enabled.is_(True), Flow.trigger.in_(KINDS))))
    hour = int(app.config.get("ANNIVERSARY_HOUR") or 10)
    recorded = 0
    for kind in sorted(kinds):
        recorded += _run(session, app, kind, KINDS[kind], now, hour)
    return recorded


def _days(now: datetime) -> set[date]:
    """Every calendar day it is somewhere right now (UTC-12 to UTC+14)."""
    return {(now + timedelta(hours=offset)).date() for offset in (-12, 0, 14)}


def _patterns(day: date) -> list[str]:
    found = [f"%{day:%m-%d}"]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        found.append("%02-29")
    return found


def _run(session: Session, app: Flask, kind: str, attribute: str, now: datetime,
         hour: int) -> int:
    field = Contact.attributes[attribute].as_string()
    patterns = [p for day in _days(now) for p in _patterns(day)]
    candidates = session.execute(
        sa.select(Contact.id, Contact.timezone, field.label("value")).where(
            Contact.erased_at.is_(None), sa.or_(*(field.like(p) for p in patterns)))
        .order_by(Contact.id)).all()
    recorded = 0
    for contact_id, zone, value in candidates:
        try:
            local = now.astimezone(ZoneInfo(zone or FALLBACK_ZONE))
        except (ZoneInfoNotFoundError, ValueError):
            local = now.astimezone(ZoneInfo(FALLBACK_ZONE))
        if local.hour < hour or not _is_today(str(value), local.date()):
            continue
        external_id = f"{kind}:{local.year}:{contact_id}"
        if session.scalar(sa.select(FlowEvent.id).where(
                FlowEvent.source == SOURCE, FlowEvent.external_id == external_id)):
            continue
        born = _year(str(value))
        payload = {"attribute": attribute, "date": str(value)}
        if born:
            payload["years"] = local.year - born
        engine.record(session, app, kind, session.get(Contact, contact_id), payload, now,
                      source=SOURCE, external_id=external_id, now=now)
        recorded += 1
        if recorded >= BATCH:
            break
    return recorded


def _is_today(value: str, today: date) -> bool:
    month_day = value[-5:]
    if month_day == f"{today:%m-%d}":
        return True
    return month_day == "02-29" and today.month == 2 and today.day == 28 \
        and not calendar.isleap(today.year)


def _year(value: str) -> int | None:
    head = value[:4]
    return int(head) if len(value) == 10 and head.isdigit() else None
