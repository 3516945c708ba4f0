"""Alembic, driven from code: ``consentdesk db upgrade`` and the schema tests use this."""

from __future__ import annotations

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
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


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
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=compare_options())
        return compare_metadata(context, Base.metadata)
