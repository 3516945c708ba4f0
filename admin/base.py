"""The one secure base for every admin view: login, the role matrix, 403s, audit, safe CSV."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView, tools
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import filters
from flask_admin.model.form import converts
from flask_security import current_user
from flask_wtf import FlaskForm

from admin import listing
from core import audit
from core.csvsafe import neutralise
from core.db import db
from core.models.guard import ProtectedField, protected_fields

log = logging.getLogger(__name__)

WRITE_VIEWS = frozenset({"create_view", "edit_view", "delete_view", "ajax_update"})


def permitted(permission: str) -> bool:
    return bool(current_user.is_authenticated and current_user.has_permission(permission))


class AdminForm(FlaskForm):
    """Flask-WTF's CSRF (the same as the login form's) plus the ``_obj`` Flask-Admin's
    uniqueness validator compares against on edit."""

    def __init__(self, formdata: Any = None, obj: Any = None, **kwargs: Any) -> None:
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, **kwargs)


class ModelConverter(AdminModelConverter):
    """Form fields for our own column types."""

    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args: Any, **extra: Any) -> Any:
        return self.convert_datetime(field_args, **extra)


class DateFilterConverter(FilterConverter):
    """Date-range filters for our own column types."""

    @filters.convert("utcdatetime")
    def conv_utc_datetime(self, column: Any, name: str, **kwargs: Any) -> Any:
        return self.conv_datetime(column, name, **kwargs)


class SecureMixin:
    """Login required; ``area:read`` to see the view. Anonymous users go to the login page."""

    area: str = ""
    read_permission: str | None = None

    def _needed_to_read(self) -> str:
        return self.read_permission or f"{self.area}:read"

    def is_accessible(self) -> bool:
        return permitted(self._needed_to_read())

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=request.url))
        abort(403)


class SecureView(SecureMixin, BaseView):
    """A custom page (not a model) behind login and a permission."""


class SecureModelView(SecureMixin, ModelView):
    """CRUD over one model, as far as the user's roles allow; every change audited.

    Derived and evidence fields (``core.models.guard``) are left out of every form and inline
    edit whatever a view declares; the model-level guard refuses them again at flush. A
    database refusal is explained in plain words, never with its SQL."""

    writable = True
    action_permissions: dict[str, str] = {}
    # The menu's and page's title when the model's class name does not read well.
    display_name: str | None = None
    # What a delete the database refuses means for this model, in the user's words.
    delete_refused = ("It cannot be deleted: other records refer to it.")

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        protected = set(protected_fields(model))
        if protected:
            if self.form_columns is not None:
                self.form_columns = tuple(c for c in self.form_columns
                                          if str(c) not in protected)
            self.form_excluded_columns = tuple(
                dict.fromkeys((*(self.form_excluded_columns or ()), *sorted(protected))))
            self.column_editable_list = tuple(
                c for c in (self.column_editable_list or ()) if str(c) not in protected)
        if self.display_name:
            kwargs.setdefault("name", self.display_name)
        super().__init__(model, *args, **kwargs)

    def handle_view_exception(self, exc: Exception) -> bool:
        """Say what happened in plain words; the details go to the log, not the page."""
        if isinstance(exc, ProtectedField):
            flash(str(exc), "error")
            return True
        if isinstance(exc, sa.exc.IntegrityError):
            log.warning("%s: the database refused a change: %s", self.name, exc)
            flash(self.delete_refused if request.endpoint.endswith("delete_view")
                  or request.form.get("action") == "delete"
                  else "It could not be saved: it would duplicate or break a record it is "
                       "linked to. Check the values and try again.", "error")
            return True
        if isinstance(exc, sa.exc.SQLAlchemyError):
            log.exception("%s: database error", self.name)
            flash("It could not be saved because of a database problem; nothing was "
                  "changed. Try again in a moment.", "error")
            return True
        return super().handle_view_exception(exc)

    form_base_class = AdminForm
    model_form_converter = ModelConverter
    filter_converter = DateFilterConverter()
    can_view_details = True
    can_export = True
    can_set_page_size = True
    page_size = 50

    @property
    def db_session(self) -> Any:
        """The request's SQLAlchemy session (``self.session`` is the extension object)."""
        return db.session

    def _can_write(self) -> bool:
        return self.writable and permitted(f"{self.area}:write")

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self._can_write()

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self._can_write()

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self._can_write()

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete":
            return self._can_write()
        needed = self.action_permissions.get(name, f"{self.area}:write")
        return permitted(needed) and super().is_action_allowed(name)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if not self.is_accessible():
            return self.inaccessible_callback(name, **kwargs)
        if name in WRITE_VIEWS and not self._can_write():
            abort(403)
        if name == "action_view" and not self.is_action_allowed(request.form.get("action", "")):
            abort(403)
        return None

    # Audit: written in the same transaction as the change.
    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created:
            self.db_session.flush()
            audit.record(self.db_session, current_user.email, "create", model,
                         after=audit.snapshot(model))
            return
        before, after = audit.changes(model)
        if before or after:
            audit.record(self.db_session, current_user.email, "update", model, before, after)

    def on_model_delete(self, model: Any) -> None:
        audit.record(self.db_session, current_user.email, "delete", model,
                     before=audit.snapshot(model))

    def typed_ids(self, ids: Any) -> list[Any]:
        """Row ids from a form, converted to the primary key's type (PostgreSQL will not
        compare an integer column with text); ids that do not convert are dropped."""
        python_type = sa.inspect(self.model).primary_key[0].type.python_type
        typed = []
        for value in ids:
            try:
                typed.append(python_type(value))
            except (TypeError, ValueError):
                continue
        return typed

    @action("delete", lazy_gettext("Delete"),
            lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids: Any) -> None:
        """Each record on its own: one the database refuses says why, the others go."""
        rows = tools.get_query_for_ids(self.get_query(), self.model, self.typed_ids(ids)).all()
        deleted = sum(1 for row in rows if self.delete_model(row))
        if deleted:
            flash(f"Deleted {deleted} record(s).", "success")

    def get_export_value(self, model: Any, name: Any) -> Any:
        return neutralise(super().get_export_value(model, name))

    # Big tables: capped counts, a whole phone number found by its index (admin.listing).
    def get_list(self, page: Any, sort_column: Any, sort_desc: bool, search: Any,
                 filters: Any, execute: bool = True, page_size: Any = None) -> Any:
        return listing.list_rows(self, page, sort_column, sort_desc, search, filters,
                                 execute, page_size)

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any,
                      search: str) -> Any:
        e164 = listing.phone_in(search)
        found = self.search_phone(query, joins, e164) if e164 else None
        if found is not None:
            query, joins = found
            return query, count_query, joins, count_joins
        return super()._apply_search(query, count_query, joins, count_joins, search)

    def search_phone(self, query: Any, joins: Any, e164: str) -> Any:
        """The list narrowed to one phone number, or None to search as text."""
        return listing.phone_search(self, query, joins, e164)


class ReadOnlyModelView(SecureModelView):
    """Evidence: listed, filtered, exported, never created, edited or deleted by anyone."""

    writable = False
