"""Conversions (an order, a booking...) and the flow message they are credited to.

A conversion is credited to the contact's last click on a flow's link within
``CLICK_WINDOW`` before it, else to the last flow message delivered to them within
``DELIVERY_WINDOW``, else to nothing. The same (source, external id) is recorded once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.integrations import outgoing
from core.models import Click, Contact, Conversion, Link, Message

CLICK_WINDOW = timedelta(days=7)
DELIVERY_WINDOW = timedelta(days=1)


def record(session: Session, contact: Contact, kind: str, occurred_at: datetime, source: str,
           external_id: str | None = None, value: Decimal | None = None,
           click_window: timedelta = CLICK_WINDOW,
           delivery_window: timedelta = DELIVERY_WINDOW,
           flow_id: int | None = None) -> Conversion:
    """Record a conversion, credited by the rules above, or to ``flow_id`` when the person
    recording it by hand says which flow earned it."""
    if external_id is not None:
        existing = session.scalars(sa.select(Conversion).where(
            Conversion.source == source, Conversion.external_id == external_id)).first()
        if existing is not None:
            return existing
    if flow_id is not None:
        message_id = None
    else:
        message_id, flow_id = _credit(session, contact.id, occurred_at, click_window,
                                      delivery_window)
    conversion = Conversion(contact_id=contact.id, kind=kind, value=value, source=source,
                            external_id=external_id, occurred_at=occurred_at,
                            message_id=message_id, flow_id=flow_id)
    session.add(conversion)
    session.flush()
    outgoing.emit(session, "conversion.recorded", {
        "phone": contact.phone, "kind": kind, "value": value, "flow_id": flow_id,
        "occurred_at": occurred_at, "external_id": external_id})
    return conversion


def _credit(session: Session, contact_id: int, at: datetime, click_window: timedelta,
            delivery_window: timedelta) -> tuple[int | None, int | None]:
    clicked = session.execute(
        sa.select(Click.message_id, Link.flow_id).join(Link, Click.link_id == Link.id)
        .where(Click.contact_id == contact_id, Link.flow_id.is_not(None),
               Click.clicked_at <= at, Click.clicked_at > at - click_window)
        .order_by(Click.clicked_at.desc()).limit(1)).first()
    if clicked is not None:
        return clicked.message_id, clicked.flow_id
    delivered = session.execute(
        sa.select(Message.id, Message.flow_id)
        .where(Message.contact_id == contact_id, Message.flow_id.is_not(None),
               Message.status == "delivered", Message.updated_at <= at,
               Message.updated_at > at - delivery_window)
        .order_by(Message.updated_at.desc()).limit(1)).first()
    if delivered is not None:
        return delivered.id, delivered.flow_id
    return None, None
