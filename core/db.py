"""The declarative base, column types shared by every model, and the Flask extension."""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Timestamps stored in UTC and always returned timezone-aware.

    SQLite keeps no offset, so a value read back is naive; consent evidence must
    never be ambiguous about its instant, so naive values are read as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value  # naive values are UTC by convention (forms, SQLite)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


db = SQLAlchemy()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Only a new, empty file takes a page size: 16 KiB pages write a bulk send or an import
    # in a quarter of the WAL frames (and so checkpoints) that 4 KiB pages need.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: big imports keep their indexes in memory
    cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")  # a reader: no write lock
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


READ_ONLY = "consentdesk_read_only"  # execution option for connections that never write


def configure_engine(engine: sa.Engine) -> None:
    """SQLite: foreign keys, WAL, and every transaction ``BEGIN IMMEDIATE``.

    IMMEDIATE takes the write lock when a transaction starts, so two writers queue up
    (``busy_timeout``) instead of one failing on a stale snapshot; this is what keeps the
    consent chain linear on SQLite. PostgreSQL needs nothing here (the ledger locks a row).
    """
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _begin_immediate)


SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


def fast_insert(session: Any, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one driver-level ``executemany``.

    SQLAlchemy's per-row bind processing costs more than SQLite's insert itself in bulk
    writes (imports, campaign sends). Values are converted the way the column types store
    them: ``UTCDateTime`` as UTC (on SQLite in SQLAlchemy's text format), JSON as JSON text
    (PostgreSQL: ``jsonb``); everything else passes as is. Every row has the first row's keys.
    """
    if not rows:
        return
    sqlite = session.get_bind().dialect.name == "sqlite"
    keys = [c.key for c in table.columns if c.key in rows[0]]
    converters = [_converter(table.columns[k].type, sqlite) for k in keys]
    insert_rows(session, table, keys, [
        tuple(value if convert is None or value is None else convert(value)
              for convert, value in zip(converters, (row[k] for k in keys), strict=True))
        for row in rows])


def insert_rows(session: Any, table: sa.Table, keys: list[str], rows: list[tuple]) -> None:
    """Insert tuples whose values are already in stored form (see :func:`stored`), in
    ``keys`` order, with one driver-level ``executemany``: the fastest path there is."""
    if not rows:
        return
    marker = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    names = ", ".join(f'"{table.columns[k].name}"' for k in keys)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join(marker for _ in keys)})'
    session.connection().exec_driver_sql(sql, rows)


def stored(column: sa.Column, value: Any, sqlite: bool) -> Any:
    """``value`` as :func:`insert_rows` wants it for ``column``."""
    convert = _converter(column.type, sqlite)
    return value if convert is None or value is None else convert(value)


def stored_instant(value: datetime, sqlite: bool) -> Any:
    """A ``UTCDateTime`` value as :func:`insert_rows` wants it."""
    utc = value.astimezone(UTC)
    if not sqlite:
        return utc
    if utc.year < 1000:  # isoformat pads the year to four digits, strftime does not
        return utc.strftime(SQLITE_INSTANT)
    text = utc.isoformat(timespec="microseconds")  # strftime's text, three times faster
    return f"{text[:10]} {text[11:26]}"


@contextlib.contextmanager
def sqlite_cache(session: Any, mebibytes: int) -> Iterator[Callable[[], None]]:
    """Give bulk work a larger SQLite page cache: call the function this yields at the start
    of each transaction (a commit may hand the session another pooled connection); every
    connection it touched gets its own size back afterwards. A no-op on PostgreSQL."""
    touched: dict[int, tuple[Any, int]] = {}

    def tune() -> None:
        if session.get_bind().dialect.name != "sqlite":
            return
        raw = session.connection().connection.dbapi_connection
        if id(raw) not in touched:
            touched[id(raw)] = (raw, raw.execute("PRAGMA cache_size").fetchone()[0])
            raw.execute(f"PRAGMA cache_size={-1024 * mebibytes}")

    try:
        yield tune
    finally:
        for raw, before in touched.values():
            raw.execute(f"PRAGMA cache_size={int(before)}")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk job. Building a million row tuples (none of
    them in a cycle) otherwise sets off a collection every 700 allocations and a full one
    each time the heap grows by a quarter: an eighth of a large import's time. Reference
    counting still frees everything; the collector resumes, as it was, afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def one_of(session: Any, column: Any, values: Iterable[Any]) -> Any:
    """``column IN values`` with every value in one parameter (SQLite: a JSON array read
    by ``json_each``; PostgreSQL: an array), so a bulk look-up of 20,000 keys is not a
    statement with 20,000 placeholders to render, bind and parse."""
    values = list(values)
    bind = session if isinstance(session, sa.Connection) else session.get_bind()
    if bind.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    each = sa.func.json_each(sa.bindparam(None, orjson.dumps(values).decode(), type_=sa.String))
    return column.in_(sa.select(sa.column("value")).select_from(each))


def reserve_ids(session: Any, table: sa.Table, count: int) -> list[int]:
    """Primary keys for ``count`` new rows of ``table``, so bulk rows can name each other
    without a round trip per row. SQLite: every write transaction holds the write lock
    (``BEGIN IMMEDIATE``), so the ids after the largest are ours; PostgreSQL: taken from
    the table's own sequence."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(sa.text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}))
    start = (session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def _converter(column_type: Any, sqlite: bool) -> Any:
    if isinstance(column_type, UTCDateTime):
        seen: dict[datetime, Any] = {}  # bulk rows share few distinct instants

        def timestamp(value: datetime) -> Any:
            if value not in seen:
                seen[value] = stored_instant(value, sqlite)
            return seen[value]

        return timestamp
    if isinstance(column_type, sa.JSON):
        if sqlite:
            return lambda value: json.dumps(value)
        from psycopg.types.json import Jsonb

        return Jsonb
    return None
