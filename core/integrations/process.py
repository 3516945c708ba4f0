"""A stored delivery's mapping, run in the task queue, and its outcome on the delivery row.

The mapping's actions are applied in one transaction: all of them or none. A delivery the
mapping cannot read, or whose actions the core refuses (a number that is not a phone, an
opt-in without a disclosure, an unknown message type), is marked ``failed`` with the reason
in words; an admin can fix the cause and replay it.
"""

from __future__ import annotations

import logging

from flask import Flask

from core.consent import ConsentRefused
from core.db import db, utcnow
from core.flows.engine import FlowError
from core.integrations import connections
from core.integrations.actions import ActionRefused, apply
from core.models import IntegrationDelivery
from core.phone import InvalidPhone
from hooks.integrations import Ignored, IntegrationRequest, MalformedDelivery

log = logging.getLogger(__name__)
REFUSALS = (MalformedDelivery, ActionRefused, ConsentRefused, InvalidPhone, FlowError)
DONE = ("processed", "ignored")


def process(app: Flask, delivery_id: int) -> str:
    integrations = app.extensions["consentdesk"].integrations
    with db.sessionmaker() as session:
        delivery = session.get(IntegrationDelivery, delivery_id)
        if delivery is None or delivery.status in DONE or delivery.status == "rejected":
            return "nothing to do"
        integration = integrations.get(delivery.integration)
        connection = connections.find(session, delivery.integration)
        request = IntegrationRequest(route=delivery.route, url=delivery.url, method="POST",
                                     headers=dict(delivery.headers or {}),
                                     body=bytes(delivery.body))
    if integration is None or connection is None:
        return _finish(delivery_id, "failed", "the integration is no longer installed or "
                                              "connected")
    try:
        settings = connections.settings_of(app, connection)
        mapped = integration.map(request, settings)
    except connections.SecretsUnreadable as error:
        return _finish(delivery_id, "failed", str(error))
    except MalformedDelivery as error:
        return _finish(delivery_id, "failed", f"cannot be read: {error}")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        log.warning("%s delivery %s: mapping failed", integration.name, delivery_id,
                    exc_info=True)
        return _finish(delivery_id, "failed", f"cannot be read: {type(error).__name__}: "
                                              f"{error}")
    if isinstance(mapped, Ignored):
        return _finish(delivery_id, "ignored", mapped.reason)
    try:
        with db.sessionmaker() as session, session.begin():
            done = apply(session, app, integration, list(mapped), delivery_id)
    except REFUSALS as error:
        return _finish(delivery_id, "failed", f"refused: {error}")
    return _finish(delivery_id, "processed", "; ".join(done) or "nothing to do")


def _finish(delivery_id: int, status: str, outcome: str) -> str:
    with db.sessionmaker() as session, session.begin():
        delivery = session.get(IntegrationDelivery, delivery_id)
        delivery.status, delivery.outcome = status, outcome[:20000]
        delivery.processed_at = utcnow()
        delivery.attempts = (delivery.attempts or 0) + 1
    return f"{status}: {outcome}"
