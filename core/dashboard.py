"""The home page's figures: who is subscribed, what happened in the last 30 days, what needs
someone, and how far a new install is from sending its first real text.

Set-based queries only (counts and group-bys); the page must stay fast on a million
contacts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.flows.links import is_local, link_base
from core.models import (
    Brand,
    Campaign,
    Click,
    Consent,
    ConsentEvent,
    Contact,
    Conversion,
    Disclosure,
    Flow,
    FlowRun,
    Message,
    MessageType,
    RevocationTicket,
    ScheduledSend,
    Sender,
    Suppression,
    WebhookEvent,
)

DAYS = 30
BLOCK_SAMPLE = 20_000  # blocked texts read to count their reasons


@dataclass
class Dashboard:
    subscribers: list[tuple[str, int, str]]  # (label, contacts, explanation); adds up
    total_contacts: int
    days: list[str]
    opt_ins: list[int]
    opt_outs: list[int]
    messages: dict[str, int]
    clicks: int
    conversions: int
    revenue: float
    blocks: list[tuple[str, int]]
    blocks_sampled: bool
    tickets: list[RevocationTicket]
    attention: list[tuple[str, str, str]] = field(default_factory=list)  # (text, endpoint, level)
    checklist: list[tuple[str, bool, str, str]] = field(default_factory=list)

    @property
    def setup_done(self) -> bool:
        return all(done for _, done, _, _ in self.checklist)


def build(session: Session, app: Flask, now: datetime) -> Dashboard:
    since = now - timedelta(days=DAYS)
    subscribers, total = _subscribers(session)
    days, ins, outs = _consent_by_day(session, now)
    blocks, sampled = _blocks(session, since)
    board = Dashboard(
        subscribers=subscribers, total_contacts=total, days=days, opt_ins=ins, opt_outs=outs,
        messages=_messages(session, since), clicks=_count(session, Click.id, Click.clicked_at,
                                                          since),
        conversions=_count(session, Conversion.id, Conversion.occurred_at, since),
        revenue=float(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Conversion.value), 0))
                                     .where(Conversion.occurred_at >= since)) or 0),
        blocks=blocks, blocks_sampled=sampled,
        tickets=list(session.scalars(sa.select(RevocationTicket)
                                     .where(RevocationTicket.status == "open")
                                     .order_by(RevocationTicket.due_at).limit(8))))
    board.attention = _attention(session, app, now)
    board.checklist = _checklist(session, app)
    return board


def _subscribers(session: Session) -> tuple[list[tuple[str, int, str]], int]:
    """Every contact in exactly one group, so the numbers add up to the contacts."""
    marketing = session.scalar(sa.select(MessageType.id).where(MessageType.slug == "marketing"))
    opted_in = sa.exists(sa.select(Consent.id).where(
        Consent.contact_id == Contact.id, Consent.state == "opted_in").correlate(Contact))
    in_marketing = sa.exists(sa.select(Consent.id).where(
        Consent.contact_id == Contact.id, Consent.state == "opted_in",
        Consent.message_type_id == marketing).correlate(Contact))
    opted_out = sa.exists(sa.select(Consent.id).where(
        Consent.contact_id == Contact.id, Consent.state == "opted_out").correlate(Contact))
    suppressed = sa.exists(sa.select(Suppression.id).where(
        Suppression.phone_hmac == Contact.phone_hmac).correlate(Contact))
    group = sa.case(
        (Contact.erased_at.is_not(None), "erased"),
        (suppressed, "suppressed"),
        (in_marketing, "marketing"),
        (opted_in, "other"),
        (opted_out, "opted_out"),
        else_="none")
    counts = Counter(dict(session.execute(sa.select(group, sa.func.count())
                                          .select_from(Contact).group_by(group)).all()))
    rows = [
        ("Subscribed to marketing", counts["marketing"], "opted in to promotions (and maybe more)"),
        ("Other messages only", counts["other"], "opted in to order, appointment or support texts"),
        ("Opted out", counts["opted_out"], "opted out of what they had, not suppressed"),
        ("Stopped everything", counts["suppressed"], "on the suppression list: never texted"),
        ("No consent yet", counts["none"], "in the contact list without any opt-in"),
        ("Erased", counts["erased"], "personal data removed; opt-outs kept"),
    ]
    return rows, sum(counts.values())


def _consent_by_day(session: Session, now: datetime) -> tuple[list[str], list[int], list[int]]:
    first = (now - timedelta(days=DAYS - 1)).date()
    day = sa.func.date(ConsentEvent.occurred_at) if session.get_bind().dialect.name == "sqlite" \
        else sa.cast(ConsentEvent.occurred_at, sa.Date)
    rows = session.execute(sa.select(day.label("day"), ConsentEvent.action, sa.func.count())
                           .where(ConsentEvent.occurred_at >= datetime.combine(
                               first, datetime.min.time(), now.tzinfo))
                           .group_by(day, ConsentEvent.action)).all()
    found = {(str(d)[:10], action): n for d, action, n in rows}
    days = [(first + timedelta(days=i)).isoformat() for i in range(DAYS)]
    return (days, [found.get((d, "opt_in"), 0) for d in days],
            [found.get((d, "opt_out"), 0) for d in days])


def _messages(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(sa.select(Message.status, sa.func.count())
                           .where(Message.direction == "out", Message.is_test.is_(False),
                                  Message.created_at >= since)
                           .group_by(Message.status)).all()
    found = Counter(dict(rows))
    return {"sent": found["sent"] + found["delivered"] + found["undelivered"],
            "delivered": found["delivered"], "failed": found["failed"] + found["undelivered"]
            + found["dead"], "blocked": found["blocked"],
            "waiting": found["queued"] + found["deferred"] + found["sending"] + found["paused"]}


def _count(session: Session, column: Any, when: Any, since: datetime) -> int:
    return session.scalar(sa.select(sa.func.count(column)).where(when >= since)) or 0


def _blocks(session: Session, since: datetime) -> tuple[list[tuple[str, int]], bool]:
    reasons: Counter = Counter()
    rows = session.scalars(sa.select(Message.block_reasons)
                           .where(Message.status == "blocked", Message.created_at >= since)
                           .order_by(Message.id.desc()).limit(BLOCK_SAMPLE + 1)).all()
    for found in rows[:BLOCK_SAMPLE]:
        for reason in found or ():
            reasons[str(reason).split(":", 1)[0]] += 1
    return reasons.most_common(8), len(rows) > BLOCK_SAMPLE


def _attention(session: Session, app: Flask, now: datetime) -> list[tuple[str, str, str]]:
    items = []
    overdue = session.scalar(sa.select(sa.func.count(RevocationTicket.id)).where(
        RevocationTicket.status == "open", RevocationTicket.due_at < now)) or 0
    if overdue:
        items.append((f"{overdue} revocation ticket(s) past their 10-business-day deadline",
                      "revocationticket.index_view", "danger"))
    due_soon = session.scalar(sa.select(sa.func.count(RevocationTicket.id)).where(
        RevocationTicket.status == "open", RevocationTicket.due_at >= now,
        RevocationTicket.due_at < now + timedelta(days=3))) or 0
    if due_soon:
        items.append((f"{due_soon} revocation ticket(s) due within 3 days",
                      "revocationticket.index_view", "warning"))
    dead = session.scalar(sa.select(sa.func.count(Message.id)).where(Message.status == "dead"))
    if dead:
        items.append((f"{dead} text(s) gave up after retries: retry or check the provider",
                      "message.index_view", "warning"))
    failed = session.scalar(sa.select(sa.func.count(WebhookEvent.id)).where(
        WebhookEvent.status == "failed")) or 0
    if failed:
        items.append((f"{failed} provider webhook(s) failed to process; the worker retries them",
                      "webhookevent.index_view", "warning"))
    stuck = session.scalar(sa.select(sa.func.count(FlowRun.id)).where(
        FlowRun.status == "failed")) or 0
    if stuck:
        items.append((f"{stuck} flow run(s) failed", "flowrun.index_view", "warning"))
    paused = session.scalar(sa.select(sa.func.count(ScheduledSend.id)).where(
        ScheduledSend.status == "paused")) or 0
    if paused:
        items.append((f"{paused} send(s) paused", "scheduledsend.index_view", "info"))
    from core.registration import drift

    for campaign, changes in drift.flagged(session, app):
        untrue = sum(1 for change in changes if change.untrue)
        items.append((f"Campaign “{campaign.name}”: {len(changes)} change(s) since its "
                      f"registration" + (f", {untrue} making it untrue" if untrue else "")
                      + ": re-review it", "readiness.index",
                      "danger" if untrue else "warning"))
    brand = session.scalars(sa.select(Brand).order_by(Brand.id)).first()
    if is_local(link_base(app, brand)):
        items.append(("Branded links would point at this machine: set CONSENTDESK_PUBLIC_URL "
                      "or the brand's link domain (marketing texts with links are held)",
                      "brand.index_view", "danger"))
    return items


def _checklist(session: Session, app: Flask) -> list[tuple[str, bool, str, str]]:
    """(step, done, where to do it, how) for a new install."""
    brand = session.scalars(sa.select(Brand).order_by(Brand.id)).first()
    senders = session.scalars(sa.select(Sender)).all()
    providers = app.extensions["consentdesk"].providers
    real = [s for s in senders if s.provider in providers and s.provider != "sandbox"]
    return [
        ("Your brand: legal name, public name, support contacts", bool(
            brand and brand.legal_name and brand.public_name
            and (brand.support_email or brand.support_phone)), "brand.index_view",
         "Registration → Brand"),
        ("A campaign: what you send and why", bool(session.scalar(sa.select(Campaign.id))),
         "campaign.index_view", "Registration → Campaign"),
        ("A sender connected to a provider (not only the sandbox)", bool(real),
         "sender.index_view", "Registration → Sender; set the provider's keys"),
        ("Links people can open: a public URL or a link domain",
         not is_local(link_base(app, brand)), "brand.index_view",
         "CONSENTDESK_PUBLIC_URL, or the brand's link domain"),
        ("Disclosures: the opt-in text people see", bool(session.scalar(
            sa.select(Disclosure.id))), "disclosure.index_view", "Consent → Disclosure"),
        ("A flow enabled", bool(session.scalar(sa.select(Flow.id).where(Flow.enabled))),
         "flowtemplates.index", "Messaging → Ready-made flows"),
        ("A test message sent", bool(session.scalar(sa.select(Message.id).where(
            Message.is_test.is_(True)))), "flow.index_view", "a flow's ▶ Try it → Send a test"),
    ]
