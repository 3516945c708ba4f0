"""Audit log entries: who changed what, with the values before and after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.models import AuditLog

# Never copied into the audit log: credentials, and the phone HMAC (the key the suppression
# list matches on: with it, an erased number could be recognised).
SECRET_COLUMNS = frozenset({"password", "fs_uniquifier", "fs_token_uniquifier", "phone_hmac",
                            "body_sha256"})


def hidden(values: dict[str, Any] | None) -> dict[str, Any]:
    """A logged ``before``/``after`` with secrets masked (rows logged before they were)."""
    return {k: "(secret)" if k in SECRET_COLUMNS and v is not None else v
            for k, v in (values or {}).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _shown(column: str, value: Any) -> Any:
    return "(secret)" if column in SECRET_COLUMNS and value is not None else _plain(value)


def snapshot(row: Any) -> dict[str, Any]:
    """Every column of ``row`` as JSON-safe values, secrets masked."""
    columns = sa.inspect(type(row)).column_attrs
    return {column.key: _shown(column.key, getattr(row, column.key)) for column in columns}


def changes(row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns changed since the row was loaded: (before, after). Call before flush."""
    state = sa.inspect(row)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for column in state.mapper.column_attrs:
        history = state.attrs[column.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                before[column.key] = _shown(column.key, old)
                after[column.key] = _shown(column.key, new)
    return before, after


def record(
    session: Session,
    actor: str,
    action: str,
    row: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    identity = sa.inspect(row).identity
    entry = AuditLog(
        actor=actor,
        action=action,
        model=type(row).__name__,
        object_id=",".join(str(part) for part in identity) if identity else None,
        before=before or {},
        after=after or {},
    )
    session.add(entry)
    return entry
