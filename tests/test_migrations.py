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


def test_rebuilding_the_event_table_keeps_its_rows_references_and_triggers(tmp_path):
    """0007 rebuilds consent_event on SQLite (to drop a UNIQUE constraint) with foreign keys
    enforced as the app enforces them: evidence keeps pointing at its event, and the
    append-only triggers come back."""
    from core.db import configure_engine

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    configure_engine(engine)
    upgrade(engine, "0006")
    now = "2026-03-01 15:30:00.000000"
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO contact (id, phone, phone_hmac, tags, attributes, created_at) "
            "VALUES (1, '+14155552671', 'ab', '[]', '{}', :t)"), {"t": now})
        connection.execute(sa.text(
            "INSERT INTO consent_event (id, seq, contact_id, action, source, occurred_at, "
            "recorded_at, actor, personal_hash, prev_hash, hash) VALUES (1, 1, 1, 'opt_out', "
            "'keyword', :t, :t, 'sms', 'p', 'q', 'h')"), {"t": now})
        connection.execute(sa.text(
            "INSERT INTO consent_evidence (event_id, phone) VALUES (1, '+14155552671')"))
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.scalar(sa.text(
            "SELECT phone FROM consent_evidence JOIN consent_event ON id = event_id")) == \
            "+14155552671"
        assert connection.scalar(sa.text("PRAGMA foreign_keys")) == 1
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            connection.execute(sa.text("UPDATE consent_event SET actor = 'x'"))
    engine.dispose()
