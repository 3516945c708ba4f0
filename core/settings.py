"""Settings: environment variables over embedded defaults; secrets generated on first run.

Every variable is listed in ``ENVIRONMENT`` and in the README table (a test checks both agree).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

# name: (config key, description)
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "CONSENTDESK_INSTANCE_PATH": (
        "INSTANCE_PATH",
        "Folder for the SQLite database and generated secrets (default: `./instance`).",
    ),
    "CONSENTDESK_DATABASE_URL": (
        "DATABASE_URL",
        "SQLAlchemy URL (default: SQLite file `consentdesk.db` in the instance folder; "
        "PostgreSQL: `postgresql+psycopg://user@host/db`).",
    ),
    "CONSENTDESK_SECRET_KEY": (
        "SECRET_KEY",
        "Flask session and CSRF key (default: generated into `instance/secrets.json`).",
    ),
    "CONSENTDESK_PASSWORD_SALT": (
        "SECURITY_PASSWORD_SALT",
        "Flask-Security salt for tokens (default: generated into `instance/secrets.json`).",
    ),
    "CONSENTDESK_SUPPRESSION_KEY": (
        "SUPPRESSION_KEY",
        "HMAC key for the suppression list (default: generated into `instance/secrets.json`). "
        "Back it up: without it, suppressed numbers cannot be matched.",
    ),
    "CONSENTDESK_RATELIMIT_STORAGE_URI": (
        "RATELIMIT_STORAGE_URI",
        "Where login rate-limit counters live (default: `memory://`; several processes: "
        "`redis://127.0.0.1:6379`).",
    ),
    "CONSENTDESK_FORM_RATE_LIMIT": (
        "FORM_RATE_LIMIT",
        "Submissions of hosted forms and preference pages per address (default: "
        "`10 per minute;60 per hour`; Flask-Limiter's notation).",
    ),
    "CONSENTDESK_ANNIVERSARY_HOUR": (
        "ANNIVERSARY_HOUR",
        "The local hour at which birthday and anniversary flows start for each contact "
        "(default: `10`).",
    ),
    "CONSENTDESK_PUBLIC_URL": (
        "PUBLIC_URL",
        "Base URL providers call for webhooks, as the outside world sees it, e.g. "
        "`https://sms.example.com` behind a proxy; signatures are checked against it "
        "(default: the request's own URL).",
    ),
    "CONSENTDESK_QUEUE_URL": (
        "QUEUE_URL",
        "Task queue for sending: `sqlite:///path/queue.db` (default: `queue.db` in the instance "
        "folder), `redis://127.0.0.1:6379/0` for several worker machines, `memory` (tasks wait "
        "in this process) or `immediate` (tasks run at once; tests).",
    ),
    "CONSENTDESK_DISPATCH_BATCH": (
        "DISPATCH_BATCH",
        "Messages per dispatch task (default: `500`).",
    ),
    "CONSENTDESK_DISPATCH_CONCURRENCY": (
        "DISPATCH_CONCURRENCY",
        "Most sends a dispatch task keeps in flight at once (default: `64`); a provider may "
        "allow fewer (`max_in_flight`). Each sender's `per_second`, `per_minute` and "
        "`daily_cap` still hold across all workers.",
    ),
    "CONSENTDESK_SANDBOX_LATENCY": (
        "SANDBOX_LATENCY",
        "Seconds the sandbox provider takes to answer each send, like a real vendor's API "
        "(default: `0`; 0.1–0.3 is what SMS APIs take).",
    ),
    "CONSENTDESK_SANDBOX_ERROR_RATE": (
        "SANDBOX_ERROR_RATE",
        "Share of sandbox sends refused with a temporary 503, retried like a vendor's "
        "(default: `0`; e.g. `0.02`).",
    ),
    "CONSENTDESK_PLUGINS": (
        "PLUGINS",
        "Comma-separated entry-point names: load only these installed plugins (default: all).",
    ),
    "CONSENTDESK_LOAD_ENTRYPOINTS": (
        "LOAD_ENTRYPOINTS",
        "`0` to load no installed plugins, only the built-in ones (default: `1`).",
    ),
    "CONSENTDESK_HTTPS": (
        "HTTPS",
        "`1` when users reach the app over HTTPS (cookies get the Secure flag, HSTS is sent); "
        "default: on when `CONSENTDESK_PUBLIC_URL` starts with `https://`.",
    ),
    "CONSENTDESK_FORCE_HTTPS": (
        "FORCE_HTTPS",
        "`1` to redirect plain HTTP to HTTPS in the app itself (default: `0`; a proxy usually "
        "does it).",
    ),
    "CONSENTDESK_REMEMBER_DAYS": (
        "REMEMBER_DAYS",
        "How long \"remember me\" keeps a staff member signed in (default: `14`).",
    ),
    "CONSENTDESK_WEBHOOK_RETENTION_DAYS": (
        "WEBHOOK_RETENTION_DAYS",
        "Days a processed provider webhook is kept in the webhook log (default: `90`; the "
        "consent it carried is in the ledger for good).",
    ),
    "CONSENTDESK_WEBHOOK_REJECTED_RETENTION_DAYS": (
        "WEBHOOK_REJECTED_RETENTION_DAYS",
        "Days the excerpt of a refused or malformed webhook is kept (default: `7`).",
    ),
    "CONSENTDESK_TRACE_HOOKS": (
        "TRACE_HOOKS",
        "`1` to print every hook call and its result to stderr (default: `0`).",
    ),
}

PREFIX = "CONSENTDESK_"
GENERATED_SECRETS = ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "SUPPRESSION_KEY")
FLAGS = ("LOAD_ENTRYPOINTS", "TRACE_HOOKS")


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The config keys set by environment variables, flags turned into booleans."""
    environ = dict(os.environ if environ is None else environ)
    config: dict[str, Any] = {}
    for variable, (key, _doc) in ENVIRONMENT.items():
        if variable in environ:
            value: Any = environ[variable]
            if key in FLAGS:
                value = value.strip().lower() not in ("0", "false", "no", "")
            config[key] = value
    # Anything else prefixed CONSENTDESK_ is a plugin's setting, documented by the plugin:
    # CONSENTDESK_TWILIO_AUTH_TOKEN arrives as TWILIO_AUTH_TOKEN.
    for variable, value in environ.items():
        if variable.startswith(PREFIX) and variable not in ENVIRONMENT:
            config.setdefault(variable[len(PREFIX):], value)
    return config


def load_or_create_secrets(instance_path: Path) -> dict[str, str]:
    """Read ``secrets.json`` from the instance folder, creating it (mode 0600) if missing."""
    path = instance_path / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [key for key in GENERATED_SECRETS if key not in stored]
    if missing:
        stored.update({key: secrets.token_urlsafe(48) for key in missing})
        instance_path.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(stored, handle, indent=2)
    return stored


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'consentdesk.db'}"


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), like the secrets
    file, before SQLite creates it with the process's umask; tighten an existing one. SQLite
    gives its -wal and -shm files the database file's permissions."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database \
            or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    with contextlib.suppress(OSError):  # a file someone else owns stays as it is
        os.chmod(path, 0o600)
        for suffix in ("-wal", "-shm", "-journal"):
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                os.chmod(companion, 0o600)
