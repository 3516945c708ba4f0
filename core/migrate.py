"""Alembic, driven from code: ``consentdesk db upgrade`` and the schema tests use this."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from core.db import UTCDateTime
from core.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    with engine.connect() as connection, _foreign_keys_checked_at_the_end(connection):
        with connection.begin():
            command.upgrade(alembic_config(connection), revision)


@contextlib.contextmanager
def _foreign_keys_checked_at_the_end(connection: sa.Connection) -> Iterator[None]:
    """SQLite rebuilds a table to change a constraint (batch mode): with foreign keys
    enforced, dropping the old copy would fail for every row that points at it. So they are
    off while migrating (the pragma must be set outside a transaction) and every key is
    checked once the migration committed."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    enforced = raw.execute("PRAGMA foreign_keys").fetchone()[0]
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows whose foreign keys break: {broken[:5]}")
    finally:
        raw.execute(f"PRAGMA foreign_keys={int(enforced)}")


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types as plain SQLAlchemy ones, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and type(obj).__name__ == "AsaList":
        return "sa.UnicodeText()"
    return False


def compare_options() -> dict[str, Any]:
    return {
        "target_metadata": Base.metadata,
        "render_as_batch": True,
        "compare_type": True,
        "render_item": render_item,
    }


def pending_changes(engine: sa.Engine) -> list:
    """What autogenerate would still add: empty when migrations match the models."""
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect an index on an expression (ix_contact_link_part), so neither
        # SQLAlchemy nor Alembic can compare it there; PostgreSQL compares it.
        warnings.filterwarnings("ignore", r".*expression-based index ix_contact_link_part")
        warnings.filterwarnings("ignore", r".*expression-based index 'ix_contact_link_part'")
        context = MigrationContext.configure(connection, opts=compare_options())
        return compare_metadata(context, Base.metadata)
