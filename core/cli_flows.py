"""The ``consentdesk flows`` commands: ready-made flows and triggering an event by hand."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from core.db import db, utcnow


@click.group("flows")
def flows_group() -> None:
    """Message flows."""


@flows_group.command("seed")
@click.option("--enable", is_flag=True, help="Enable them at once (default: created disabled).")
@with_appcontext
def seed_command(enable: bool) -> None:
    """Create the four ready-made flows for the first campaign (existing ones are kept)."""
    from core.flows import seeds
    from core.models import Campaign

    campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).first()
    for seed in seeds.SEED_FLOWS:
        flow = seeds.create(db.session, seed["name"], campaign, enabled=enable)
        click.echo(f"{flow.name}: {'enabled' if flow.enabled else 'disabled'}")
    db.session.commit()


@flows_group.command("trigger")
@click.argument("kind")
@click.argument("phone")
@click.option("--payload", default="{}", help='Event fields as JSON, e.g. \'{"order_id": "1042"}\'.')
@click.option("--external-id", help="The event's id at its source; a repeat is ignored.")
@with_appcontext
def trigger_command(kind: str, phone: str, payload: str, external_id: str | None) -> None:
    """Record event KIND for the contact with PHONE and run the flows it triggers."""
    from core.flows import engine
    from core.models import Contact, FlowRun
    from core.phone import InvalidPhone, to_e164

    try:
        number = to_e164(phone)
        fields = json.loads(payload)
        if not isinstance(fields, dict):
            raise ValueError("--payload must be a JSON object")
    except (InvalidPhone, ValueError) as error:
        raise click.BadParameter(str(error)) from None
    contact = db.session.scalars(sa.select(Contact).where(Contact.phone == number)).one_or_none()
    if contact is None:
        raise click.BadParameter(f"no contact has the number {number}")
    try:
        event = engine.record(db.session, current_app, kind, contact, fields, utcnow(),
                              source="cli", external_id=external_id)
    except engine.FlowError as error:
        raise click.BadParameter(str(error)) from None
    db.session.commit()
    runs = db.session.scalars(sa.select(FlowRun).where(FlowRun.event_id == event.id)).all()
    click.echo(f"event {event.id} ({kind}): {len(runs)} flow run(s)")
    for run in runs:
        click.echo(f"  {run.flow.name}: {run.status}, step {run.step}"
                   + (f", next at {run.next_at.isoformat()}" if run.status == "waiting" else "")
                   + (f" ({run.reason})" if run.reason else ""))
