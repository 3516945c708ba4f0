"""Refuse, in the ORM, any update or delete of an append-only row.

The database refuses them too (triggers, see the migrations); this catches the
mistake earlier with a clear error.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.models.auth import AuditLog
from core.models.capture import ConsentDocument, FormSnapshot, PreferenceEvent
from core.models.consent import ConsentEvent
from core.models.registration import RegistrationVersion

# Erasure blanks personal fields of the capture rows in SQL, past this guard, on purpose.
APPEND_ONLY = (ConsentEvent, AuditLog, FormSnapshot, ConsentDocument, PreferenceEvent,
               RegistrationVersion)


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete a row that may only ever be added."""


@sa.event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for row in session.deleted:
        if isinstance(row, APPEND_ONLY):
            raise AppendOnlyError(f"{type(row).__name__} rows are append-only: delete refused.")
    for row in session.dirty:
        if isinstance(row, APPEND_ONLY) and session.is_modified(row, include_collections=False):
            raise AppendOnlyError(f"{type(row).__name__} rows are append-only: update refused.")
