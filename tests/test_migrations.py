"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic import command

from core.migrate import alembic_config, pending_changes, upgrade


def _check_roundtrip(engine):
    upgrade(engine)
    assert pending_changes(engine) == []
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert pending_changes(engine) == []


def test_sqlite_empty_database_upgrades_to_the_models(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    _check_roundtrip(engine)
    engine.dispose()


def test_postgresql_empty_database_upgrades_to_the_models(postgres_server_url, scratch_databases):
    engine = sa.create_engine(scratch_databases())
    _check_roundtrip(engine)
    engine.dispose()


@pytest.mark.parametrize("table", ["consent_event", "audit_log"])
def test_append_only_triggers_exist(database_url, table):
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = connection.scalars(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
            ), {"t": table}).all()
        else:
            names = connection.scalars(sa.text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass)"
            ), {"t": table}).all()
    engine.dispose()
    assert names
