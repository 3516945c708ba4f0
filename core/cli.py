"""The ``consentdesk`` command line: a Flask CLI group plus commands from plugins."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from core import plugins, settings
from core.app import create_app
from core.cli_consent import GROUPS
from core.cli_flows import flows_group
from core.cli_registration import registration_group
from core.db import db


def _create_app() -> Flask:
    """The app for commands: no admin panel, which serves no pages here and is most of the
    start-up time (``serve`` builds the whole app itself)."""
    return create_app({"ADMIN_PANEL": False})


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             add_default_commands=False)
def cli() -> None:
    """Consentdesk: consent-first business text messaging."""


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Migrate the database to the newest schema and add built-in records."""
    from core import upgrade

    upgrade.upgrade_and_sync(current_app)
    click.echo(f"Database at {db.engine.url.render_as_string(hide_password=True)} is up to date.")


@cli.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, default=["admin"], show_default=True,
              help="admin, marketing, support or operations; repeat for several.")
@click.password_option(help="At least 12 characters.")
@with_appcontext
def create_user_command(email: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff account that can sign in to the admin panel."""
    from core.security import create_user

    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="--password")
    try:
        create_user(current_app, email, password, list(roles))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--role") from None
    click.echo(f"Created {email} with role(s) {', '.join(roles)}.")


@cli.command("demo")
@click.option("--contacts", default=200, show_default=True)
@with_appcontext
def demo_command(contacts: int) -> None:
    """Migrate, then load a demo brand, campaign, disclosures and contacts with consent histories."""
    from core import demo, upgrade

    upgrade.upgrade_and_sync(current_app)
    created = demo.load(current_app, contacts=contacts)
    if created:
        click.echo(f"Loaded the demo: {contacts} contacts with consent histories.")
        from core.integrations import sandbox

        for line in sandbox.connect(current_app, demo.STAFF_PHONE):
            click.echo(line)
    else:
        click.echo("The demo data is already loaded.")
    base = current_app.config.get("PUBLIC_URL") or \
        f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    click.echo(f"Hosted opt-in form: {base.rstrip('/')}/f/{demo.FORM_SLUG} "
               "(double opt-in: reply Y from the phone simulator)")
    click.echo(f"Demo logins (password for all: {demo.PASSWORD}):")
    for email, role in demo.USERS:
        click.echo(f"  {email:36} {role}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve_command(host: str, port: int) -> None:
    """Serve the admin panel with Flask's server (use gunicorn in production)."""
    from werkzeug.serving import run_simple

    app = create_app()
    click.echo(f"Consentdesk admin: http://{host}:{port}/admin/")
    run_simple(host, port, app, threaded=True)


@cli.command("worker")
@click.option("--threads", default=2, show_default=True, help="Dispatch tasks run at once.")
def worker_command(threads: int) -> None:
    """Run the sending worker: dispatch tasks, retries, and the every-minute sweep."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    queue = app.extensions["consentdesk"].queue
    click.echo(f"Consentdesk worker: {threads} thread(s) on {app.config.get('QUEUE_URL') or 'sqlite'}")
    queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=True).run()


@cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Run the worker's every-minute jobs once: due messages, crashed sends, flow waits,
    scheduled sends, webhooks to process again, old webhook records."""
    from core import worker

    done = worker.sweep(current_app)
    click.echo(f"Submitted {done['submitted']} due message(s); advanced "
               f"{done['flow_runs']} flow run(s); processed {done['webhooks_retried']} "
               f"stored webhook(s) again; deleted {done['webhooks_purged']} old one(s).")


@cli.command("new-plugin")
@click.argument("kind", type=click.Choice(["provider"]))
@click.argument("name")
@click.option("--dir", "parent", default="plugins", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
def new_plugin_command(kind: str, name: str, parent: Path) -> None:
    """Scaffold a plugin distribution (a provider) whose tests pass as generated."""
    from core.scaffold import new_provider

    try:
        target = new_provider(name, parent)
    except (ValueError, FileExistsError) as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"Created {target}. Next: pip install -e {target} && pytest {target}")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def plugins_command(as_json: bool) -> None:
    """List every plugin with its version and the hooks it implements."""
    infos = plugins.plugin_infos(current_app.extensions["consentdesk"].pm)
    if as_json:
        click.echo(json.dumps([info.__dict__ for info in infos], indent=2))
        return
    for info in infos:
        origin = f"{info.distribution} {info.version}" if info.distribution else "built in"
        click.echo(f"{info.name:36} {origin:28} {', '.join(info.hooks)}")


@cli.command("report")
@click.argument("name")
@with_appcontext
def report_command(name: str) -> None:
    """Print a report as CSV."""
    import csv

    from core.csvsafe import neutralise

    found = plugins.reports(current_app.extensions["consentdesk"].pm).get(name)
    if found is None:
        raise click.BadParameter(f"no report named {name!r}", param_hint="NAME")
    result = found.run(plugins.SessionData(db.session))
    writer = csv.writer(sys.stdout)
    writer.writerow(result.columns)
    writer.writerows([[neutralise(v) for v in row] for row in result.rows])


for group in (*GROUPS, flows_group, registration_group):
    cli.add_command(group)


def _register_plugin_commands() -> None:
    config = settings.from_environment()
    pm = plugins.make_plugin_manager(
        load_entrypoints=config.get("LOAD_ENTRYPOINTS", True),
        only=config["PLUGINS"].split(",") if config.get("PLUGINS") else None,
    )
    pm.hook.register_commands(cli=cli)


def main() -> None:
    _register_plugin_commands()
    cli(prog_name="consentdesk")
