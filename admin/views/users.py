"""Staff accounts, roles (read-only: the matrix lives in code) and the audit log."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask_security.utils import hash_password
from markupsafe import Markup
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from admin.base import ReadOnlyModelView, SecureModelView
from admin.formatters import as_words
from core import audit


class UserView(SecureModelView):
    area = "users"
    column_list = ("email", "active", "roles", "last_login_at", "login_count")
    column_searchable_list = ("email",)
    column_filters = ("active", "last_login_at")
    form_columns = ("email", "active", "roles", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(
            "New password",
            validators=[Optional(), Length(min=12)],
            description="Leave empty to keep the current password.",
        )
    }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if form.new_password.data:
            model.password = hash_password(form.new_password.data)
        if is_created:
            model.fs_uniquifier = uuid.uuid4().hex
        super().on_model_change(form, model, is_created)


class RoleView(ReadOnlyModelView):
    area = "users"
    column_list = ("name", "description", "permissions")
    column_formatters = {"permissions": as_words}


def _logged(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    values = audit.hidden(getattr(model, name))
    if not values:
        return Markup("")
    return Markup("<code>{}</code>").format(json.dumps(values, ensure_ascii=False)[:200])


class AuditLogView(ReadOnlyModelView):
    """Admins only; the phone HMAC never shows, in the list, the details or an export."""

    area = "audit"
    column_list = ("at", "actor", "action", "model", "object_id", "before", "after")
    column_searchable_list = ("actor", "model", "object_id")
    column_filters = ("actor", "action", "model", "at")
    column_default_sort = ("at", True)
    column_formatters = {"before": _logged, "after": _logged}
    column_formatters_detail = {"before": _logged, "after": _logged}

    def get_export_value(self, model: Any, name: Any) -> Any:
        if name in ("before", "after"):
            return json.dumps(audit.hidden(getattr(model, name)), ensure_ascii=False)
        return super().get_export_value(model, name)
