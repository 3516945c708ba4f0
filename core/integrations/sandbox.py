"""The demo's sandbox shop and calendar: each installed integration that offers a sandbox is
connected with its sandbox settings, and its sample deliveries are sent, signed, to the real
intake (stored, verified, mapped in the queue like any other)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from core.db import db
from core.integrations import connections
from core.models import Disclosure

REMINDER_TEXT = ("Bloom & Branch Florists will text appointment confirmations and reminders "
                 "to the number you give. Msg & data rates may apply. Reply STOP to cancel, "
                 "HELP for help.")


def connect(app: Flask, phone: str) -> list[str]:
    """Connect every sandbox and send its sample deliveries about ``phone``; what was done."""
    done = []
    client = app.test_client()
    for name, integration in app.extensions["consentdesk"].integrations.items():
        settings = integration.sandbox_settings()
        if settings is None:
            continue
        wanted = settings.get("disclosure")
        if wanted and not db.session.scalar(sa.select(Disclosure.id).where(
                Disclosure.name == wanted)):
            db.session.add(Disclosure(name=wanted, text=REMINDER_TEXT))
        connections.save(db.session, app, integration, dict(settings), "demo")
        db.session.commit()
        answers = []
        for sample in integration.sandbox_deliveries(settings, phone):
            answer = client.post(f"/hooks/integrations/{name}/{sample.route}",
                                 data=sample.body, headers=dict(sample.headers))
            answers.append(answer.status_code)
        done.append(f"{integration.label}: sandbox connected, {len(answers)} sample "
                    f"deliveries sent (answers {', '.join(map(str, answers))})")
    return done
