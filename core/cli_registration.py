"""The ``consentdesk registration`` commands: the readiness checker and the generators."""

from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from core.db import db


@click.group("registration")
def registration_group() -> None:
    """Sender and campaign registration (10DLC): check it, write it."""


def _campaign(campaign_id: int | None):
    from core.models import Campaign

    query = sa.select(Campaign).order_by(Campaign.id)
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    campaign = db.session.scalars(query).first()
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}" if campaign_id else
                                   "no campaign yet: add one in the admin (Registration → "
                                   "Campaign) or run `consentdesk demo`")
    return campaign


@registration_group.command("check")
@click.option("--campaign", "campaign_id", type=int, help="Campaign id (default: the first).")
@click.option("--field", "field_name", help="Check one pasted field alone: message_flow, "
              "description, samples (one per line), call_to_action, terms, privacy, "
              "opt_in_reply, opt_out_reply, help_reply, keywords, website.")
@click.option("--text", help="The field's text (with --field); '-' reads standard input.")
@click.option("--brand", "brand_names", multiple=True, help="The brand's name(s), for a "
              "pasted field (default: the campaign's brand when one exists).")
@click.option("--use-case", help="The 10DLC use case, for pasted samples (e.g. MARKETING).")
@click.option("--live", is_flag=True, help="Read the brand's live terms and privacy pages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def check_command(campaign_id, field_name, text, brand_names, use_case, live, as_json) -> None:
    """Print the readiness findings; exit 1 when any blocks submission."""
    from core.registration import checker, facts

    if field_name:
        if text is None:
            raise click.UsageError("--field needs --text (or --text - to read standard input)")
        text = sys.stdin.read() if text == "-" else text
        if not brand_names:
            from core.models import Brand

            brand = db.session.scalars(sa.select(Brand).order_by(Brand.id)).first()
            brand_names = tuple(n for n in (brand.public_name, brand.legal_name) if n) \
                if brand else ()
        field_name = facts.field_named(field_name)
        try:
            registration = facts.from_text(field_name, text, brand_names=tuple(brand_names),
                                           use_case=use_case,
                                           website=text if field_name == "website" else None)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        title = f"{field_name} (pasted)"
    else:
        campaign = _campaign(campaign_id)
        pages = None
        if live:
            from core.registration.fetch import live_pages

            pages, errors = live_pages(campaign.brand)
            for error in errors:
                click.echo(f"! {error}", err=True)
        registration = facts.from_campaign(db.session, current_app, campaign, pages=pages)
        title = f"campaign {campaign.id}: {campaign.name}"
    findings = checker.check(registration, checker.rules_for(current_app))
    if as_json:
        click.echo(json.dumps({"checked": title, "findings": [f.as_dict() for f in findings],
                               "blocking": len(checker.blocking(findings))}, indent=2))
    else:
        _print(title, findings)
    db.session.rollback()
    if checker.blocking(findings):
        sys.exit(1)


def _print(title: str, findings) -> None:
    from core.registration.checker import GROUP_LABELS

    click.echo(f"Readiness of {title}")
    if not findings:
        click.echo("  No findings: ready to submit.")
        return
    for group, label in GROUP_LABELS.items():
        mine = [f for f in findings if f.group == group]
        if not mine:
            continue
        click.echo(f"\n{label}")
        for finding in mine:
            click.echo(f"  [{finding.severity_label}] {finding.rule}: {finding.detail}")
            click.echo(f"      why: {finding.message}")
            click.echo(f"      fix: {finding.fix}")
    blocking = sum(1 for f in findings if f.severity == "blocks")
    click.echo(f"\n{len(findings)} finding(s), {blocking} blocking submission.")


@registration_group.command("generate")
@click.option("--campaign", "campaign_id", type=int, help="Campaign id (default: the first).")
@click.option("--apply", "names", multiple=True, type=click.Choice(
    ["description", "message_flow", "call_to_action", "sample_messages", "sms_terms",
     "privacy_clause"]), help="Write this generated field into the records (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def generate_command(campaign_id, names, as_json) -> None:
    """Print the registration text written from the forms, keywords and flows."""
    from core.registration import generate

    campaign = _campaign(campaign_id)
    generated = generate.everything(db.session, current_app, campaign)
    if as_json:
        click.echo(json.dumps(generated, indent=2, ensure_ascii=False))
    else:
        for name, value in generated.items():
            click.echo(f"== {name}")
            click.echo("\n".join(value) if isinstance(value, list) else value)
            click.echo()
    if names:
        changed = generate.apply(db.session, current_app, campaign, list(names))
        db.session.commit()
        click.echo(f"Written: {', '.join(changed) or 'nothing changed'}", err=True)
