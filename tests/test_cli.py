"""The consentdesk command line."""

import json

import sqlalchemy as sa

from core.db import db
from core.models import Brand, Consent, ConsentEvent, Contact, User


def test_db_upgrade_is_repeatable(runner):
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == second.exit_code == 0
    assert "is up to date" in second.output


def test_create_user_hashes_the_password(app, runner):
    result = runner.invoke(args=["create-user", "owner@bloomandbranch.example", "--role", "admin",
                                 "--password", "a long enough secret"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        assert user.password.startswith("$argon2")
        assert [r.name for r in user.roles] == ["admin"]


def test_create_user_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["create-user", "x@bloomandbranch.example", "--role", "boss",
                                 "--password", "a long enough secret"])
    assert result.exit_code != 0
    assert "Unknown role" in result.output


def test_create_user_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-user", "x@bloomandbranch.example", "--password", "short"])
    assert result.exit_code != 0
    assert "12 characters" in result.output


def test_demo_loads_contacts_with_consent_histories_once(app, runner):
    first = runner.invoke(args=["demo", "--contacts", "40"])
    assert first.exit_code == 0, first.output
    assert "admin@bloomandbranch.example" in first.output
    second = runner.invoke(args=["demo", "--contacts", "40"])
    assert "already loaded" in second.output
    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        assert count(Brand) == 1
        assert count(Contact) == 41  # 40 customers and the owner's own phone, for tests
        owner = db.session.scalars(sa.select(User).filter_by(
            email="admin@bloomandbranch.example")).one()
        assert owner.phone == "+14155550123"
        assert count(ConsentEvent) >= 40
        states = set(db.session.scalars(sa.select(Consent.state)))
        assert states == {"opted_in", "opted_out"}


def test_demo_login_works(app, runner):
    runner.invoke(args=["demo", "--contacts", "5"])
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@bloomandbranch.example",
                                           "password": "consentdesk-demo"})
    assert response.status_code == 302
    assert client.get("/admin/contact/").status_code == 200


def test_plugins_lists_built_ins_as_json(runner):
    result = runner.invoke(args=["plugins", "--json"])
    assert result.exit_code == 0
    names = {p["name"] for p in json.loads(result.output)}
    assert {"core.builtin.reports", "core.builtin.consent_sources"} <= names


def test_report_prints_csv(runner):
    runner.invoke(args=["demo", "--contacts", "10"])
    result = runner.invoke(args=["report", "consent-by-type"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "message_type,opted_in,opted_out"


def test_report_unknown_name_is_a_clear_error(runner):
    result = runner.invoke(args=["report", "nope"])
    assert result.exit_code != 0
    assert "no report named 'nope'" in result.output


def test_new_plugin_provider_scaffold_passes_its_own_tests_and_lint(runner, tmp_path):
    import os
    import subprocess
    import sys
    from configparser import ConfigParser

    result = runner.invoke(["new-plugin", "provider", "acme_sms", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "acme_sms"
    setup = ConfigParser()
    setup.read(target / "setup.cfg")
    assert setup["options.entry_points"]["consentdesk"].strip() == "acme_sms = consentdesk_acme_sms"
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("CONSENTDESK_TEST_POSTGRES_URL", None)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(target / "tests")], cwd=target, env=env,
                           capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated",
                           "--select", "E,F,W,I", "--line-length", "100", str(target)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_new_plugin_refuses_bad_names_and_existing_folders(runner, tmp_path):
    assert runner.invoke(["new-plugin", "provider", "Bad-Name", "--dir", str(tmp_path)]).exit_code == 2
    runner.invoke(["new-plugin", "provider", "acme", "--dir", str(tmp_path)])
    again = runner.invoke(["new-plugin", "provider", "acme", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_commands_start_without_the_admin_panel_and_serve_has_it(tmp_path, monkeypatch):
    from core.cli import _create_app

    monkeypatch.setenv("CONSENTDESK_INSTANCE_PATH", str(tmp_path))
    command_app = _create_app()
    assert "admin.index" not in command_app.view_functions
    assert any(name.startswith("provider_hooks.") for name in command_app.view_functions)
    from core.app import create_app

    assert "admin.index" in create_app({"INSTANCE_PATH": str(tmp_path)}).view_functions


def test_a_large_demo_loads_through_the_bulk_path_with_the_same_evidence(app, monkeypatch):
    """Past the first contacts the demo goes through the CSV import's bulk path: the chain
    holds, derived states match the events, opted-out numbers are suppressed, and the
    contacts keep their tags."""
    import sqlalchemy as sa

    from core import demo
    from core.consent import chain, maintenance
    from core.db import db
    from core.models import Consent, ConsentEvent, Contact, Suppression

    monkeypatch.setattr(demo, "ONE_BY_ONE", 10)
    with app.app_context():
        assert demo.load(app, contacts=300)
        session = db.session
        assert session.scalar(sa.select(sa.func.count(Contact.id))) == 301  # + the staff phone
        assert chain.verify(session).ok
        assert maintenance.rebuild(session, fix=False).differences == []
        bulk = session.scalar(sa.select(sa.func.count(ConsentEvent.id)).where(
            ConsentEvent.actor == "demo import"))
        assert bulk > 290
        stopped = session.scalar(sa.select(sa.func.count(ConsentEvent.id)).where(
            ConsentEvent.action == "opt_out", ConsentEvent.message_type_id.is_(None)))
        assert stopped and session.scalar(sa.select(sa.func.count(Suppression.phone_hmac))) \
            >= stopped
        assert session.scalar(sa.select(sa.func.count(Consent.id)).where(
            Consent.state == "opted_in")) > 300
        tagged = session.scalar(sa.select(sa.func.count(Contact.id)).where(
            sa.cast(Contact.tags, sa.String) != "[]"))
        assert tagged > 100
