"""The application factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pluggy
from flask import Flask, redirect, url_for

from core import plugins, settings
from core.db import configure_engine, db
from core.errors import init_errors
from core.ratelimit import init_rate_limits
from core.security import init_security
from core.sending.pace import init_pace
from core.sending.queue import SendQueue, init_queue
from core.web_security import exempt_from_csrf, init_web_security
from hooks import ConsentSource, EventType
from hooks.integrations import Integration
from hooks.providers import Branding, Provider

DEFAULTS: dict[str, Any] = {
    # No request body past 16 MB anywhere (provider webhooks have their own, smaller limit).
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "LOAD_ENTRYPOINTS": True,
    "TRACE_HOOKS": False,
    "PLUGINS": None,
    "PRODUCT_NAME": "Consentdesk",
}


@dataclass
class Consentdesk:
    """What the core keeps on ``app.extensions["consentdesk"]``."""

    pm: pluggy.PluginManager
    consent_sources: dict[str, ConsentSource]
    providers: dict[str, Provider] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    event_types: dict[str, EventType] = field(default_factory=dict)
    branding: Branding | None = None
    queue: SendQueue | None = None
    pace: Any = None  # each sender's throughput, shared by the workers (core.sending.pace)
    integration_task: Any = None  # the queue task mapping a stored integration delivery
    outgoing_task: Any = None  # the queue task forwarding an event to a connected system
    forwarding: Any = None  # (when read, event kind -> connections that forward it)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    # Settings: defaults, then the environment, then what a test passes in.
    config = {**DEFAULTS, **settings.from_environment(), **(test_config or {})}
    instance_path = Path(config.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    app = Flask(__name__, instance_path=str(instance_path))
    app.config.update(config)

    # Secrets: generated into the instance folder unless the environment gives them.
    for key, value in settings.load_or_create_secrets(instance_path).items():
        if not app.config.get(key):
            app.config[key] = value

    # Database: SQLite in the instance folder unless DATABASE_URL says otherwise.
    app.config.setdefault("DATABASE_URL", settings.sqlite_url(instance_path))
    settings.private_sqlite_file(app.config["DATABASE_URL"])
    app.config["SQLALCHEMY_ENGINES"] = {"default": app.config["DATABASE_URL"]}
    db.init_app(app)
    _drop_async_teardown(app)
    with app.app_context():
        configure_engine(db.engine)
        db.sessionmaker.configure(info={"suppression_key": app.config["SUPPRESSION_KEY"]})

    # Plugins: the built-in ones, then installed entry points.
    pm = plugins.make_plugin_manager(
        load_entrypoints=app.config["LOAD_ENTRYPOINTS"],
        only=_plugin_names(app.config["PLUGINS"]),
        trace=app.config["TRACE_HOOKS"],
        extra_plugins=app.config.get("EXTRA_PLUGINS", ()),
    )
    readable = MappingProxyType(app.config)
    app.extensions["consentdesk"] = Consentdesk(
        pm=pm, consent_sources=plugins.consent_sources(pm),
        providers=plugins.providers(pm, readable), branding=plugins.branding(pm, readable),
        event_types=plugins.event_types(pm), integrations=plugins.integrations(pm, readable))
    cd = app.extensions["consentdesk"]
    for name, integration in cd.integrations.items():  # each connected system is a source
        cd.consent_sources.setdefault(name, ConsentSource(
            name=name, label=integration.label or name,
            evidence=("source_detail", "ip", "user_agent", "page_url")))
    app.extensions["consentdesk"].queue = init_queue(app)
    app.extensions["consentdesk"].pace = init_pace(app)
    from core.worker import init_worker

    init_worker(app)

    # Headers, cookies and CSRF; login, roles and tokens; failed logins are rate-limited.
    init_web_security(app)
    init_security(app)
    init_errors(app)

    # Blueprints.
    app.add_url_rule("/", "home", lambda: redirect(url_for("admin.index")))
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(
        url_for("consentdesk_admin.static", filename="favicon.svg"), code=301))
    from core.sending.webhooks import blueprint as provider_hooks

    app.register_blueprint(provider_hooks)
    exempt_from_csrf(provider_hooks)  # signed by the vendor instead
    from core.integrations.intake import blueprint as integration_hooks
    from core.integrations.intake import init_integration_tasks

    app.register_blueprint(integration_hooks)
    exempt_from_csrf(integration_hooks)  # signed by the sender instead
    init_integration_tasks(app)
    from core.integrations.outgoing import init_outgoing_task

    init_outgoing_task(app)
    from core.flows.links import answer_clicks_first
    from core.flows.links import blueprint as links

    app.register_blueprint(links)
    answer_clicks_first(app)
    from core.capture.web import blueprint as capture

    app.register_blueprint(capture)
    exempt_from_csrf(capture)  # public pages: no session; one-use signed tokens instead
    from core.registration.pages import blueprint as legal_pages

    app.register_blueprint(legal_pages)

    # The admin panel (views are built inside an app context). Command-line work that
    # serves no pages (a worker, an import, a trigger) leaves it out: building its few
    # hundred routes is most of the start-up time.
    if app.config.get("ADMIN_PANEL", True):
        from admin import init_admin

        with app.app_context():
            init_admin(app, pm)

    init_rate_limits(app)  # after the blueprints: it wraps the login and the public forms

    # Plugins' own start-up work.
    with app.app_context():
        pm.hook.startup(app=app)
    return app


def _drop_async_teardown(app: Flask) -> None:
    """Flask-SQLAlchemy-Lite closes async sessions in an async teardown, which Flask runs
    through asgiref on a new thread at the end of every request (about 0.8 ms each). We
    use no async engines, so that teardown has nothing to do; without it a branded-link
    click costs a fraction of what it did."""
    from flask_sqlalchemy_lite import _extension

    close_async = getattr(_extension, "_close_async_sessions", None)
    if close_async in app.teardown_appcontext_funcs and not app.config.get(
            "SQLALCHEMY_ASYNC_ENGINES"):
        app.teardown_appcontext_funcs.remove(close_async)


def _plugin_names(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return list(value)


