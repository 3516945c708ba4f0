"""Derived and evidence fields that no form, list action, inline edit or import may write.

The ledger derives the consent state; the chain fixes hashes; providers give message ids;
erasure and the provider's error codes set their own fields. Admin views leave these fields
out of every form, and this guard refuses, at flush, any other write to them: a view that
forgets, a plugin, an API. Core code that owns a field writes it inside
:func:`allow_writes`. A derived field (the phone HMAC) may only ever hold its derived value.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

ALLOWED = "consentdesk_allowed_writes"  # session.info key


class ProtectedField(PermissionError):
    """A write to a derived or evidence field outside the code that owns it."""


# Model name -> fields. Whole tables that are evidence are never changed here: consent events
# and the audit log are append-only (core.models.append_only, and triggers in the database);
# a person's evidence is only blanked by erasure, in SQL.
PROTECTED: dict[str, tuple[str, ...]] = {
    "Contact": ("phone_hmac", "erased_at", "undeliverable_at", "undeliverable_code"),
    "Consent": ("state", "since", "last_event_id", "contact_id", "message_type_id"),
    "Message": ("provider_message_id", "idempotency_key", "direction", "contact_id"),
    "Suppression": ("phone_hmac", "since", "reason"),
    "Click": ("link_id", "message_id", "contact_id", "ip_hash", "clicked_at"),
    "Link": ("kind",),
}
APPEND_ONLY = frozenset({"ConsentEvent", "ConsentEvidence", "AuditLog", "FormSnapshot",
                         "ConsentDocument", "PreferenceEvent",
                         "RegistrationVersion"})
# Rows only their owner deletes (the derived state, the suppression list).
OWNED_ROWS = frozenset({"Consent", "Suppression"})
# Set when a row is created by its owner only; a form creating a contact may not set them.
NOT_ON_CREATE: dict[str, tuple[str, ...]] = {
    "Contact": ("erased_at", "undeliverable_at", "undeliverable_code"),
}


def protected_fields(model: type | str) -> tuple[str, ...]:
    """The fields of ``model`` no form may show as editable."""
    name = model if isinstance(model, str) else model.__name__
    if name in APPEND_ONLY:
        mapper = None
        with contextlib.suppress(Exception):
            from core import models

            mapper = sa.inspect(getattr(models, name))
        return tuple(c.key for c in mapper.column_attrs) if mapper is not None else ()
    return PROTECTED.get(name, ())


@contextlib.contextmanager
def allow_writes(session: Session, *fields: str) -> Iterator[None]:
    """Let the code inside write ``fields`` ("Contact.erased_at", "Consent.*")."""
    allowed: Counter = session.info.setdefault(ALLOWED, Counter())
    allowed.update(fields)
    try:
        yield
    finally:
        allowed.subtract(fields)


def _allowed(session: Session, model: str, field: str) -> bool:
    allowed = session.info.get(ALLOWED) or {}
    return allowed.get(f"{model}.{field}", 0) > 0 or allowed.get(f"{model}.*", 0) > 0


def _derived_ok(session: Session, obj: object, model: str, field: str) -> bool:
    """A derived field holding exactly its derived value is no write by anyone."""
    if (model, field) == ("Contact", "phone_hmac"):
        from core.consent.suppression import SESSION_KEY, phone_hmac

        key = session.info.get(SESSION_KEY)
        phone = getattr(obj, "phone", None)
        expected = phone_hmac(key, phone) if key and phone else None
        return getattr(obj, "phone_hmac", None) == expected
    return False


def check(session: Session) -> None:
    """Refuse the flush if it writes a protected field outside its owner."""
    for obj in list(session.dirty):
        model = type(obj).__name__
        state = sa.inspect(obj)
        if model in APPEND_ONLY:
            if model != "ConsentEvidence":
                continue  # core.models.append_only refuses these with its own error
            changed = [a.key for a in state.mapper.column_attrs
                       if state.attrs[a.key].history.has_changes()]
            if changed and not all(_allowed(session, model, f) for f in changed):
                raise ProtectedField(f"{model} rows are evidence and cannot be changed "
                                     f"({', '.join(changed)}).")
            continue
        for field in PROTECTED.get(model, ()):
            if not state.attrs[field].history.has_changes():
                continue
            if _allowed(session, model, field) or _derived_ok(session, obj, model, field):
                continue
            raise ProtectedField(f"{model}.{field} is derived or evidence; it is set by "
                                 "Consentdesk itself and cannot be edited.")
    for obj in list(session.deleted):
        model = type(obj).__name__
        if (model == "ConsentEvidence" or model in OWNED_ROWS) \
                and not _allowed(session, model, "*"):
            raise ProtectedField(f"{model} rows are kept by Consentdesk itself and cannot be "
                                 "deleted here.")
    for obj in list(session.new):
        model = type(obj).__name__
        for field in NOT_ON_CREATE.get(model, ()):
            if getattr(obj, field, None) is not None and not _allowed(session, model, field):
                raise ProtectedField(f"{model}.{field} cannot be set when a {model.lower()} "
                                     "is created.")
        if model == "Contact" and getattr(obj, "phone_hmac", None) is not None \
                and not _derived_ok(session, obj, model, "phone_hmac"):
            raise ProtectedField("Contact.phone_hmac is derived from the number; it cannot "
                                 "be given.")


@sa.event.listens_for(Session, "before_flush")
def _guard(session: Session, _context, _instances) -> None:
    check(session)
