"""Segments: saved audience definitions compiled to one SQL query.

``Segment.definition`` is ``{"all": [condition, ...]}``; a contact is in the segment when
every condition holds. Conditions:

- ``{"consent": "marketing"}``: currently opted in to that message type;
- ``{"source": "keyword", "type": "marketing"}``: that opt-in came from this source;
- ``{"opted_in_within_days": 90, "type": "marketing"}``: opted in in the last N days;
- ``{"tag": "vip"}``; ``{"language": "es"}`` (the contact's preference);
- ``{"attribute": "orders", "op": ">=", "value": 3}`` (``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``);
- ``{"ordered_within_days": 30}``, ``{"total_spent_at_least": 100}`` (from ``order.created``
  conversions recorded by integrations or the API); ``{"no_order_within_days": 90}``: has
  ordered before, but not in the last N days (win-back).
"""

from __future__ import annotations

import operator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from core.gate.audience import eligible
from core.models import Consent, ConsentEvent, Contact, Conversion, MessageType, Preference

OPERATORS = {"=": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
             "<": operator.lt, "<=": operator.le}
ORDER = "order.created"
CONSENT, EVENT = aliased(Consent), aliased(ConsentEvent)


class AudienceError(ValueError):
    """A segment definition that cannot be compiled."""


def conditions(session: Session, definition: dict[str, Any], now: datetime) -> list[Any]:
    """The SQL conditions on ``contact`` for ``definition``; AudienceError if malformed."""
    if not isinstance(definition, dict) or set(definition) - {"all"}:
        raise AudienceError('a segment is {"all": [conditions]}')
    found = definition.get("all") or []
    if not isinstance(found, list):
        raise AudienceError('"all" must be a list of conditions')
    return [_condition(session, item, now, number)
            for number, item in enumerate(found, start=1)]


def _condition(session: Session, item: Any, now: datetime, number: int) -> Any:
    if not isinstance(item, dict) or not item:
        raise AudienceError(f"condition {number}: an object like {{\"tag\": \"vip\"}}")
    try:
        if "consent" in item:
            return _opted_in(session, item["consent"])
        if "source" in item:
            return _opted_in(session, item.get("type", "marketing"),
                             EVENT.source == str(item["source"]), via_event=True)
        if "opted_in_within_days" in item:
            since = now - timedelta(days=int(item["opted_in_within_days"]))
            return _opted_in(session, item.get("type", "marketing"), CONSENT.since >= since)
        if "tag" in item:
            return _has_tag(session, str(item["tag"]))
        if "language" in item:
            return sa.exists(sa.select(Preference.id).where(
                Preference.contact_id == Contact.id, Preference.language == str(item["language"]))
                .correlate(Contact))
        if "attribute" in item:
            compare = OPERATORS[item.get("op", "=")]
            value = item["value"]
            field = Contact.attributes[str(item["attribute"])]
            typed = field.as_float() if isinstance(value, int | float) else field.as_string()
            return compare(typed, value)
        if "ordered_within_days" in item:
            since = now - timedelta(days=int(item["ordered_within_days"]))
            return sa.exists(sa.select(Conversion.id).where(
                Conversion.contact_id == Contact.id, Conversion.kind == ORDER,
                Conversion.occurred_at >= since).correlate(Contact))
        if "no_order_within_days" in item:
            since = now - timedelta(days=int(item["no_order_within_days"]))
            orders = sa.select(Conversion.id).where(Conversion.contact_id == Contact.id,
                                                    Conversion.kind == ORDER)
            return sa.and_(sa.exists(orders.correlate(Contact)), ~sa.exists(
                orders.where(Conversion.occurred_at >= since).correlate(Contact)))
        if "total_spent_at_least" in item:
            spent = (sa.select(sa.func.coalesce(sa.func.sum(Conversion.value), 0))
                     .where(Conversion.contact_id == Contact.id, Conversion.kind == ORDER)
                     .correlate(Contact).scalar_subquery())
            return spent >= float(item["total_spent_at_least"])
    except (KeyError, TypeError, ValueError) as error:
        raise AudienceError(f"condition {number}: {error}") from None
    raise AudienceError(f"condition {number}: unknown condition {sorted(item)}")


def _type_id(session: Session, slug: str) -> int:
    found = session.scalar(sa.select(MessageType.id).where(MessageType.slug == slug))
    if found is None:
        raise AudienceError(f"no message type {slug!r}")
    return found


def _opted_in(session: Session, slug: str, *extra: Any, via_event: bool = False) -> Any:
    """Currently opted in to ``slug``; ``via_event`` joins the deciding consent event.

    ``extra`` conditions are written against ``CONSENT`` and ``EVENT``, aliases of their own:
    the audience query already joins ``consent`` for the flow's type, and this test must not
    be correlated to that row."""
    query = (sa.select(CONSENT.id)
             .where(CONSENT.contact_id == Contact.id, CONSENT.state == "opted_in",
                    CONSENT.message_type_id == _type_id(session, slug), *extra)
             .correlate(Contact))
    if via_event:
        query = query.join(EVENT, EVENT.id == CONSENT.last_event_id)
    return sa.exists(query)


def _has_tag(session: Session, tag: str) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return Contact.tags.op("@>")(sa.cast(sa.literal(f'["{_json_string(tag)}"]'),
                                             Contact.tags.type))
    each = sa.func.json_each(Contact.tags).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == tag))


def _json_string(text: str) -> str:
    import json

    return json.dumps(text)[1:-1]


def audience(session: Session, message_type_id: int, definition: dict[str, Any] | None,
             now: datetime) -> sa.Select:
    """Who may get this type of message (consent, not suppressed, not erased) and is in the
    segment: one query, never one check per contact."""
    query = eligible(message_type_id)
    if definition:
        query = query.where(*conditions(session, definition, now))
    return query


def count(session: Session, message_type_id: int, definition: dict[str, Any] | None,
          now: datetime) -> int:
    query = audience(session, message_type_id, definition, now).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(query)) or 0
