"""Alembic environment: batch mode for SQLite, our column types rendered portably."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from core.migrate import compare_options


def run_migrations(connection: sa.Connection) -> None:
    context.configure(connection=connection, **compare_options())
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        run_migrations(connection)
