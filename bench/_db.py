"""Throw-away databases for the benchmarks: a SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from core.db import configure_engine
from core.migrate import upgrade
from core.upgrade import ensure_chain_head  # noqa: F401  (documents what a live app adds)

POSTGRES = os.environ.get("CONSENTDESK_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def database(kind: str) -> Iterator[sa.Engine]:
    """A migrated, empty database of ``kind`` (sqlite or postgres), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = sa.create_engine(f"sqlite:///{folder}/bench.db")
            configure_engine(engine)
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"consentdesk_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(make_url(POSTGRES).set(database=name))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def app_for(engine: sa.Engine, instance: str, **config):
    """A Consentdesk app on the benchmark's database (no plugins, a memory queue), synced."""
    from core.app import create_app
    from core.upgrade import upgrade_and_sync

    app = create_app({"DATABASE_URL": engine.url.render_as_string(hide_password=False),
                      "INSTANCE_PATH": instance, "QUEUE_URL": "memory",
                      "LOAD_ENTRYPOINTS": False, **config})
    with app.app_context():
        upgrade_and_sync(app)
    return app
