"""The worker's periodic jobs, above the flows and the sending pipeline.

Flows submit sends through ``core.sending``; sending knows nothing of flows. What must run
every minute whatever happens (flow waits that are over, scheduled sends, crashed sends,
lost tasks, webhooks to process again, old webhook records, double opt-ins never confirmed,
birthdays and anniversaries) is collected here, and the task
queue runs it as one periodic task.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from huey import crontab

from core.capture import forms
from core.db import db, utcnow
from core.flows import anniversaries, engine, schedule
from core.integrations import outgoing
from core.sending import webhooks


def sweep(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Run every periodic job once; returns what each did."""
    now = now or utcnow()
    done = {"flow_runs": 0}
    with db.sessionmaker() as session, session.begin():
        while (advanced := engine.advance_due(session, app, now)) == engine.BATCH:
            done["flow_runs"] += advanced
            session.flush()
        done["flow_runs"] += advanced
        schedule.run_due(session, app, now)
        done["form_requests_expired"] = forms.expire(session, now)
        done["anniversaries"] = anniversaries.run_due(session, app, now)
    done["webhooks_retried"] = webhooks.retry_failed(app, now)
    done["webhooks_purged"] = webhooks.purge(app, now)
    done["outgoing_webhooks"] = outgoing.retry_lost(app, now)
    done["submitted"] = app.extensions["consentdesk"].queue.resubmit_due(now)
    return done


def init_worker(app: Flask) -> None:
    """Register the sweep as the queue's every-minute task."""
    huey = app.extensions["consentdesk"].queue.huey

    @huey.periodic_task(crontab(minute="*"), name="consentdesk.sweep")
    def sweep_task() -> int:
        with app.app_context():
            return sweep(app)["submitted"]
