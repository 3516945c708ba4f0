"""The preference center: a person changes what they get without texting.

Every marketing text may carry ``[preferences link]``: a branded short link of its own
(``/l/<code>`` on the link domain, kind "preferences", good for ``LINK_DAYS``). Following
it lands on ``/p/<token>``, a page signed for that person and link that lasts
``PAGE_HOURS``; a tampered or stale token shows a friendly page and changes nothing.

On the page the person stops one kind of text, stops everything, chooses how often offers
come (a cap the gate enforces), or subscribes again to a kind they had stopped, after
reading its disclosure: a fresh, proven opt-in. Each change is recorded with the browser
and the link it came through: consent changes in the ledger, the frequency choice as a
``preference_event``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from core.consent import Evidence, app_ledger
from core.db import utcnow
from core.models import (
    Consent,
    Contact,
    Disclosure,
    Link,
    MessageType,
    OptInForm,
    Preference,
    PreferenceEvent,
)

LINK_DAYS = 90
PAGE_HOURS = 24
SALT = "consentdesk.preferences"
SOURCE = "preference_center"
# How often offers may come: (per week or None for every offer, what the person reads).
FREQUENCIES = ((None, "Every offer"), (2, "At most two offers a week"),
               (1, "At most one offer a week"))


class LinkProblem(ValueError):
    """The link is not (or no longer) good; the message is for the person."""


@dataclass
class Visit:
    contact: Contact
    link: Link


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT)


def token_for(app: Flask, contact_id: int, link_id: int) -> str:
    return _serializer(app).dumps([contact_id, link_id])


def link_is_current(link: Link, now: datetime) -> bool:
    return link.created_at + timedelta(days=LINK_DAYS) > now


def open_token(session: Session, app: Flask, token: str) -> Visit:
    """The person and link a page token names; :class:`LinkProblem` when it does not hold."""
    try:
        contact_id, link_id = _serializer(app).loads(token, max_age=PAGE_HOURS * 3600)
    except SignatureExpired:
        raise LinkProblem("This page has expired. Open the link in your latest text from us "
                          "again to change your choices.") from None
    except (BadSignature, TypeError, ValueError):
        raise LinkProblem("This link is not valid. Open the link in your latest text from us "
                          "to change your choices.") from None
    contact = session.get(Contact, contact_id)
    link = session.get(Link, link_id)
    if contact is None or link is None or link.kind != "preferences" or not contact.phone:
        raise LinkProblem("This link is not valid. Open the link in your latest text from us "
                          "to change your choices.")
    return Visit(contact, link)


def subscriptions(session: Session, contact: Contact) -> dict[int, str]:
    """message type id -> "opted_in" / "opted_out" for the types the person ever had."""
    return dict(session.execute(sa.select(Consent.message_type_id, Consent.state).where(
        Consent.contact_id == contact.id)).all())


def offers_per_week(session: Session, contact: Contact) -> int | None:
    return session.scalar(sa.select(Preference.offers_per_week).where(
        Preference.contact_id == contact.id))


def rejoin_disclosure(session: Session, campaign_id: int | None) -> Disclosure | None:
    """The disclosure a person reads before subscribing again: the campaign's newest
    published form's, else the newest disclosure."""
    query = sa.select(Disclosure).join(OptInForm, OptInForm.disclosure_id == Disclosure.id) \
        .where(OptInForm.published_at.is_not(None)).order_by(OptInForm.published_at.desc())
    if campaign_id is not None:
        found = session.scalars(query.where(OptInForm.campaign_id == campaign_id)).first()
        if found is not None:
            return found
    return session.scalars(query).first() or session.scalars(
        sa.select(Disclosure).order_by(Disclosure.id.desc())).first()


def snapshot_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Browser:
    ip: str | None
    user_agent: str | None
    page_url: str


def stop(session: Session, app: Flask, visit: Visit, message_type: MessageType | None,
         browser: Browser) -> None:
    """Stop one kind of text, or everything (``None``): honoured by the gate at once."""
    app_ledger(app, session).opt_out(
        visit.contact, message_type, source=SOURCE, occurred_at=utcnow(),
        actor="preference center", source_detail=f"link {visit.link.code}",
        evidence=_evidence(browser))


def rejoin(session: Session, app: Flask, visit: Visit, message_type: MessageType,
           disclosure: Disclosure, browser: Browser, page_sha256: str) -> None:
    """Subscribe again after reading ``disclosure`` on the page (``page_sha256``: the page
    as shown, kept as a form snapshot would be)."""
    app_ledger(app, session).opt_in(
        visit.contact, message_type, source=SOURCE, disclosure=disclosure,
        occurred_at=utcnow(), actor="preference center",
        source_detail=f"subscribed again on the preference page (link {visit.link.code})",
        evidence=Evidence(ip=browser.ip, user_agent=browser.user_agent,
                          page_url=browser.page_url, snapshot_hash=page_sha256))


def choose_frequency(session: Session, visit: Visit, per_week: int | None,
                     browser: Browser) -> None:
    if per_week not in {value for value, _ in FREQUENCIES}:
        raise LinkProblem("Choose one of the options shown.")
    preference = session.scalars(sa.select(Preference).where(
        Preference.contact_id == visit.contact.id)).one_or_none()
    if preference is None:
        preference = Preference(contact_id=visit.contact.id)
        session.add(preference)
    if preference.offers_per_week == per_week:
        return
    preference.offers_per_week = per_week
    session.add(PreferenceEvent(
        contact_id=visit.contact.id, name="offers_per_week",
        value=None if per_week is None else str(per_week), link_id=visit.link.id,
        ip=browser.ip, user_agent=(browser.user_agent or "")[:500] or None,
        occurred_at=utcnow()))
    session.flush()


def _evidence(browser: Browser) -> Evidence:
    return Evidence(ip=browser.ip, user_agent=(browser.user_agent or "")[:500] or None,
                    page_url=browser.page_url)
