"""The plugin host: specs, built-in plugins, loading, listing and the hook reference."""

import inspect
from pathlib import Path

import pluggy
import pytest

from core import hookdocs, plugins
from core.plugins import make_plugin_manager, plugin_infos
from hooks import ConsentSource, MessageTypeSpec, Report, ReportResult, hookimpl

ROOT = Path(__file__).resolve().parent.parent
ALL_HOOKS = sorted(f.__name__ for _m, functions in hookdocs.hookspecs() for f in functions)


def test_every_hook_has_a_test_named_after_it():
    tests = {name for path in (ROOT / "tests").glob("test_*.py")
             for name in _test_names(path)}
    missing = [hook for hook in ALL_HOOKS if f"test_hook_{hook}" not in tests]
    assert missing == []


def _test_names(path):
    return {line.split("(")[0].removeprefix("def ").strip()
            for line in path.read_text().splitlines() if line.startswith("def test_")}


def test_every_hook_documents_when_it_is_called_and_what_it_returns():
    for _module, functions in hookdocs.hookspecs():
        for function in functions:
            doc = inspect.getdoc(function) or ""
            assert "Called" in doc and ":return:" in doc, function.__name__


def test_docs_hook_reference_is_generated_from_the_specs():
    written = (ROOT / "docs" / "hooks.md").read_text()
    assert written == hookdocs.render(), "run: python -m core.hookdocs > docs/hooks.md"


def test_built_in_plugins_are_listed_with_their_hooks():
    infos = {info.name: info for info in plugin_infos(make_plugin_manager(load_entrypoints=False))}
    assert infos["core.builtin.reports"].hooks == ("register_reports",)
    assert infos["core.builtin.reports"].distribution is None


def test_a_misspelled_hook_fails_at_start_up():
    class Typo:
        @hookimpl
        def register_reprots(self):
            return []

    with pytest.raises(pluggy.PluginValidationError, match="register_reprots"):
        make_plugin_manager(load_entrypoints=False, extra_plugins=[Typo()])


def test_two_plugins_declaring_the_same_consent_source_is_an_error():
    class Clash:
        @hookimpl
        def register_consent_sources(self):
            return [ConsentSource("web_form", "Another web form")]

    pm = make_plugin_manager(load_entrypoints=False, extra_plugins=[Clash()])
    with pytest.raises(RuntimeError, match="web_form"):
        plugins.consent_sources(pm)


def test_tracing_prints_hook_calls(capsys):
    pm = make_plugin_manager(load_entrypoints=False, trace=True)
    pm.hook.register_reports()
    assert "register_reports" in capsys.readouterr().err


def test_only_the_named_installed_plugins_load(monkeypatch):
    loaded = []
    monkeypatch.setattr(
        pluggy.PluginManager, "load_setuptools_entrypoints",
        lambda self, group, name=None: loaded.append((group, name)) or 0,
    )
    make_plugin_manager(only=["hello", "twilio"])
    assert loaded == [("consentdesk", "hello"), ("consentdesk", "twilio")]


# One test per hook, named test_hook_<name>.


def test_hook_startup(make_app):
    seen = []

    class Recorder:
        @hookimpl
        def startup(self, app):
            seen.append(app.config["PRODUCT_NAME"])

    make_app(EXTRA_PLUGINS=[Recorder()])
    assert seen == ["Consentdesk"]


def test_hook_register_commands(monkeypatch):
    import click
    from click.testing import CliRunner

    from core import cli as cli_module

    class Greeter:
        @hookimpl
        def register_commands(self, cli):
            @cli.command("greet")
            def greet():
                click.echo("hello from a plugin command")

    real = cli_module.plugins.make_plugin_manager
    monkeypatch.setattr(cli_module.plugins, "make_plugin_manager",
                        lambda **kw: real(extra_plugins=[Greeter()], load_entrypoints=False))
    cli_module._register_plugin_commands()
    try:
        result = CliRunner().invoke(cli_module.cli, ["greet"])
        assert result.output == "hello from a plugin command\n"
    finally:
        cli_module.cli.commands.pop("greet", None)


def test_hook_register_consent_sources(make_app):
    class Shop:
        @hookimpl
        def register_consent_sources(self):
            return [ConsentSource("shopify_checkout", "Shopify checkout", evidence=("order_id",))]

    app = make_app(EXTRA_PLUGINS=[Shop()])
    sources = app.extensions["consentdesk"].consent_sources
    assert sources["shopify_checkout"].label == "Shopify checkout"
    assert sources["web_form"].provable and not sources["purchased_list"].provable


def test_hook_register_message_types(make_app, session):
    import sqlalchemy as sa

    from core.models import MessageType

    class Appointments:
        @hookimpl
        def register_message_types(self):
            return [MessageTypeSpec("appointments", "Appointment reminders",
                                    quiet_hours_exempt=True)]

    make_app(EXTRA_PLUGINS=[Appointments()])
    slugs = set(session.scalars(sa.select(MessageType.slug)))
    assert slugs == {"marketing", "transactional", "support", "appointments"}


def test_hook_register_message_types_never_overwrites_an_admin_edit(make_app, session):
    import sqlalchemy as sa

    from core.models import MessageType
    from core.upgrade import sync_message_types

    app = make_app()
    marketing = session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
    marketing.name = "Offers"
    session.commit()
    sync_message_types(app)
    assert session.scalars(sa.select(MessageType.name).filter_by(slug="marketing")).one() == "Offers"


def test_hook_register_reports(make_app, login):
    class Counting:
        @hookimpl
        def register_reports(self):
            return [Report("contact-count", "Contact count",
                           lambda data: ReportResult(["n"], [[data.rows(
                               "SELECT COUNT(*) AS n FROM contact")[0]["n"]]]))]

    app = make_app(EXTRA_PLUGINS=[Counting()])
    client = app.test_client()
    from core.security import create_user

    with app.app_context():
        create_user(app, "m@bloomandbranch.example", "correct horse battery", ["marketing"])
    client.post("/login", data={"email": "m@bloomandbranch.example",
                                "password": "correct horse battery"})
    assert "Contact count" in client.get("/admin/reports/").get_data(as_text=True)
    assert client.get("/admin/reports/contact-count.csv").get_data(as_text=True) == "n\r\n0\r\n"
    assert client.get("/admin/reports/no-such-report").status_code == 404


def test_hook_register_admin_pages(make_app):
    from hooks import AdminPage

    class Page:
        @hookimpl
        def register_admin_pages(self):
            return [AdminPage("Ops board", "opsboard", lambda data: "<p>all good</p>",
                              permission="plugins:read")]

    app = make_app(EXTRA_PLUGINS=[Page()])
    from core.security import create_user

    with app.app_context():
        create_user(app, "ops@bloomandbranch.example", "correct horse battery", ["operations"])
        create_user(app, "sup@bloomandbranch.example", "correct horse battery", ["support"])
    for email, status in (("ops@bloomandbranch.example", 200), ("sup@bloomandbranch.example", 403)):
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "correct horse battery"})
        response = client.get("/admin/opsboard/")
        assert response.status_code == status
        assert ("<p>all good</p>" in response.get_data(as_text=True)) == (status == 200)


def test_plugins_page_lists_plugins_and_hooks(client, login):
    login("operations")
    page = client.get("/admin/plugins/").get_data(as_text=True)
    assert "core.builtin.consent_sources" in page
    assert "register_consent_sources" in page


def test_hook_register_keywords(make_app, session):
    import sqlalchemy as sa

    from core.keywords import classify
    from core.keywords.vocabulary import load
    from core.models import Keyword
    from hooks import KeywordSpec

    class French:
        @hookimpl
        def register_keywords(self):
            return [KeywordSpec("opt_out", "ARRET", "fr"), KeywordSpec("phrase", "ne m'ecrivez plus", "fr")]

    make_app(EXTRA_PLUGINS=[French()])
    assert session.scalar(sa.select(sa.func.count()).select_from(Keyword).where(
        Keyword.language == "fr")) == 2
    assert classify("Arrêt", load(session)).kind == "opt_out"
    assert classify("Ne m’écrivez plus, merci", load(session)).kind == "opt_out"
