"""The ``consentdesk`` commands of the consent ledger, keyword engine, gate and contacts."""

from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from core.db import db


@click.group("consent")
def consent_group() -> None:
    """The consent ledger: verify, rebuild, proof."""


@consent_group.command("verify")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def consent_verify(as_json: bool) -> None:
    """Walk the hash chain and name the first broken link; exit 1 if there is one."""
    from core.consent import chain

    result = chain.verify(db.session)
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    elif result.ok:
        click.echo(f"OK: {result.events} events, chain intact ({result.erased} erased).")
    else:
        click.echo(f"BROKEN at event #{result.broken_seq}: {result.reason}")
    sys.exit(0 if result.ok else 1)


@consent_group.command("rebuild")
@click.option("--dry-run", is_flag=True, help="Report drift without fixing it.")
@with_appcontext
def consent_rebuild(dry_run: bool) -> None:
    """Recompute every current consent state from the events and report any drift."""
    from core.consent.maintenance import rebuild

    drift = rebuild(db.session, fix=not dry_run)
    for line in drift.differences:
        click.echo(line)
    db.session.commit() if not dry_run else db.session.rollback()
    verb = "found" if dry_run else "fixed"
    click.echo(f"{drift.checked_contacts} contacts checked, {len(drift.differences)} drift(s) {verb}.")


@consent_group.command("proof")
@click.argument("phone")
@click.option("--format", "fmt", type=click.Choice(["html", "json"]), default="html",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file.")
@with_appcontext
def consent_proof(phone: str, fmt: str, output: str | None) -> None:
    """The proof-of-consent document for one number (HTML or JSON)."""
    from core.consent import proof
    from core.phone import InvalidPhone, to_e164

    try:
        e164 = to_e164(phone)
        document = proof.build(db.session, e164, current_app.config["SUPPRESSION_KEY"])
    except (InvalidPhone, proof.UnknownNumber) as error:
        raise click.BadParameter(str(error), param_hint="PHONE") from None
    text = proof.render_html(document) if fmt == "html" else json.dumps(document, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


@consent_group.command("revoke")
@click.argument("phone")
@click.option("--channel", required=True, help="How it arrived: email, phone, helpdesk, letter...")
@click.option("--note", required=True, help="What the person said, for the record.")
@click.option("--received-at", help="ISO-8601 time with offset (default: now).")
@click.option("--follow-up", is_flag=True, help="Open a ticket due in 10 business days.")
@click.option("--actor", default="cli", show_default=True)
@with_appcontext
def consent_revoke(phone, channel, note, received_at, follow_up, actor) -> None:
    """Record a revocation received outside SMS: an opt-out of everything, at once."""
    from datetime import datetime

    import sqlalchemy as sa

    from core.consent.revocations import record_revocation
    from core.db import utcnow
    from core.models import Contact
    from core.phone import InvalidPhone, to_e164

    try:
        e164 = to_e164(phone)
        when = datetime.fromisoformat(received_at) if received_at else utcnow()
    except (InvalidPhone, ValueError) as error:
        raise click.BadParameter(str(error)) from None
    if when.tzinfo is None:
        raise click.BadParameter("--received-at needs a UTC offset")
    contact = db.session.scalars(sa.select(Contact).filter_by(phone=e164)).one_or_none()
    if contact is None:
        contact = Contact(phone=e164)
        db.session.add(contact)
        db.session.flush()
    event, ticket = record_revocation(db.session, current_app, contact, channel=channel,
                                      note=note, actor=actor, received_at=when,
                                      follow_up=follow_up)
    db.session.commit()
    click.echo(f"Recorded the opt-out of {e164} (event #{event.seq}); suppressed.")
    if ticket:
        click.echo(f"Follow-up ticket {ticket.id} due {ticket.due_at.isoformat()}.")


@consent_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="csv import", show_default=True, help="Recorded on each event.")
@click.option("--workers", type=int, default=None,
              help="Processes validating rows beside the writer (0: validate in this one). "
                   "Default: 1 for files over 5 MB on a machine with two cores or more, else 0.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def consent_import(path: str, actor: str, workers: int | None, as_json: bool) -> None:
    """Import consent records from a CSV file; bad rows are reported, the rest import."""
    from core.consent.imports import Importer

    if workers is None:  # a process costs a second to start: worth it for big files only
        workers = 1 if (os.cpu_count() or 1) > 1 and os.path.getsize(path) > 5_000_000 else 0

    with open(path, newline="", encoding="utf-8-sig") as stream:
        report = Importer(db.session, current_app.extensions["consentdesk"].consent_sources,
                          current_app.config["SUPPRESSION_KEY"], actor).run(stream,
                                                                             workers=workers)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}")
    click.echo(f"{report.imported} imported, {report.duplicates} already there, "
               f"{len(report.errors)} rejected.")


@consent_group.command("import-paper")
@click.argument("scans", type=click.Path(exists=True, file_okay=False))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="paper import", show_default=True,
              help="Recorded on each event and as the scans' uploader.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def consent_import_paper(scans: str, path: str, actor: str, as_json: bool) -> None:
    """Record a stack of signed paper forms: PATH is a CSV (file, phone, message_types,
    signed_on, disclosure; optional disclosure_version, first_name, last_name, campaign, note)
    whose file column names each form's scan in the folder SCANS."""
    from pathlib import Path

    from core.capture import paper_import

    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    with open(path, newline="", encoding="utf-8-sig") as stream:
        report = paper_import.run(db.session, current_app, Path(scans), stream, actor,
                                  base + "/admin/paperconsent/document/{sha256}")
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}")
    click.echo(f"{report.forms} forms recorded ({report.imported} opt-ins), "
               f"{report.duplicates} already there, {len(report.errors)} rejected.")


@consent_group.command("export")
@click.argument("what", type=click.Choice(["state", "events"]))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Default: standard output.")
@with_appcontext
def consent_export(what: str, output: str | None) -> None:
    """Export the current consent state or every event as CSV."""
    from core.consent import exports

    write = exports.write_state if what == "state" else exports.write_events
    if output:
        with open(output, "w", newline="", encoding="utf-8") as handle:
            count = write(db.session, handle)
        click.echo(f"Wrote {count} rows to {output}")
    else:
        write(db.session, sys.stdout)


@click.group("keywords")
def keywords_group() -> None:
    """The keyword engine."""


@keywords_group.command("classify")
@click.argument("text")
@click.option("--campaign", "campaign_id", type=int, help="Use this campaign's keywords and texts.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def keywords_classify(text: str, campaign_id: int | None, as_json: bool) -> None:
    """Print how an inbound TEXT is classified and the reply that would be sent."""
    from core.simulate import SimulationError, classify_text

    try:
        result = classify_text(db.session, text, campaign_id)
    except SimulationError as error:
        raise click.BadParameter(str(error), param_hint="--campaign") from None
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"class:   {result['class']}  ({result['reason']}"
               + (f": {result['matched']!r})" if result["matched"] else ")"))
    if result["class"] == "opt_out":
        stops = ", ".join(result["message_types"]) + " only" if result["message_types"] \
            else "every message type"
        click.echo(f"stops:   {stops}")
    if result["rule"]:
        click.echo(f"rule:    {result['rule']}")
    if result["events"]:
        click.echo(f"events:  {', '.join(result['events'])}")
    click.echo(f"reply:   {result['reply'] or '(none)'}")


@keywords_group.command("evaluate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--campaign", "campaign_id", type=int, help="Add this campaign's keywords.")
@click.option("--builtin", is_flag=True,
              help="Use the built-in keyword data instead of this database's keyword table.")
@click.option("--min-recall", type=float, default=0.99, show_default=True,
              help="Exit 1 when the recall of opt_out is below this.")
@click.option("--max-false-opt-outs", type=int, default=0, show_default=True,
              help="Exit 1 when more texts than this are wrongly classified opt_out.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", is_flag=True, help="Leave out the list of mistakes.")
@with_appcontext
def keywords_evaluate(path: str, campaign_id: int | None, builtin: bool, min_recall: float,
                      max_false_opt_outs: int, as_json: bool, quiet: bool) -> None:
    """Precision and recall per class on a labelled CSV (columns: text, label)."""
    from core import plugins
    from core.keywords import vocabulary
    from core.keywords.evaluate import CorpusError, evaluate, read_corpus
    from core.models import Campaign

    try:
        rows = read_corpus(path)
    except CorpusError as error:
        raise click.BadParameter(str(error), param_hint="PATH") from None
    if builtin:
        words = vocabulary.from_specs(plugins.keyword_specs(
            current_app.extensions["consentdesk"].pm))
    else:
        words = vocabulary.load(db.session)
        if not words.rules:
            raise click.ClickException("The keyword table is empty: run 'consentdesk db "
                                       "upgrade', or pass --builtin.")
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            raise click.BadParameter(f"No campaign with id {campaign_id}.",
                                     param_hint="--campaign")
        words = words.with_campaign(campaign.opt_in_keywords or (),
                                    campaign.opt_out_keywords or (),
                                    campaign.help_keywords or ())
    report = evaluate(rows, words)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo("\n".join(report.lines(show_mistakes=not quiet)))
    if report.revocation_recall < min_recall or report.false_opt_outs > max_false_opt_outs:
        sys.exit(1)


@click.group("gate")
def gate_group() -> None:
    """The compliance gate."""


@gate_group.command("check")
@click.argument("phone")
@click.option("--type", "type_slug", required=True, help="Message type slug, e.g. marketing.")
@click.option("--at", "at", help="ISO-8601 time with offset (default: now).")
@click.option("--body", help="The message text (default: a sample with brand and STOP).")
@click.option("--sender", "sender_address", help="Sender address (default: the first sender).")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def gate_check_command(phone, type_slug, at, body, sender_address, as_json) -> None:
    """Print the gate's decision for a message to PHONE: allow, block or defer, with reasons."""
    from datetime import datetime

    from core.phone import InvalidPhone
    from core.simulate import SimulationError, gate_check

    try:
        when = datetime.fromisoformat(at) if at else None
        result = gate_check(db.session, current_app, phone, type_slug, when, body, sender_address)
    except (InvalidPhone, SimulationError, ValueError) as error:
        raise click.BadParameter(str(error)) from None
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"decision:   {result['decision']}"
               + (f" until {result['until']}" if result["until"] else ""))
    for reason in result["reasons"]:
        click.echo(f"  - {reason['code']}: {reason['detail']}")
    click.echo(f"local time: {result['local_time']}")
    if result["rule"]:
        click.echo(f"rule:       {result['rule']} ({result['citation']})")


@click.group("contact")
def contact_group() -> None:
    """Contacts."""


@contact_group.command("erase")
@click.argument("phone")
@click.option("--actor", default="cli", show_default=True, help="Who asked, for the audit log.")
@with_appcontext
def contact_erase(phone: str, actor: str) -> None:
    """Erase a person's personal data; their events and suppression stay."""
    import sqlalchemy as sa

    from core.consent.maintenance import erase_contact
    from core.models import Contact
    from core.phone import InvalidPhone, to_e164

    try:
        e164 = to_e164(phone)
    except InvalidPhone as error:
        raise click.BadParameter(str(error), param_hint="PHONE") from None
    contact = db.session.scalars(sa.select(Contact).where(Contact.phone == e164)).one_or_none()
    if contact is None:
        raise click.BadParameter(f"no contact has the number {e164}", param_hint="PHONE")
    erase_contact(db.session, contact, actor)
    db.session.commit()
    click.echo(f"Erased the personal data of contact {contact.id}; its events and suppression stay.")


GROUPS = (consent_group, contact_group, keywords_group, gate_group)
