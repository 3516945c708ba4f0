"""The ledger's screens: events and derived state are read-only evidence."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from wtforms.validators import ValidationError

from admin.base import ReadOnlyModelView, SecureModelView
from admin.formatters import short_hash, truncated
from core.models import ConsentEvent, Contact


class ConsentEventView(ReadOnlyModelView):
    area = "consent"
    column_list = (
        "seq",
        "occurred_at",
        "contact",
        "action",
        "message_type",
        "source",
        "source_detail",
        "disclosure",
        "actor",
        "recorded_at",
    )
    column_searchable_list = (Contact.phone, "source_detail", "actor")
    column_filters = ("action", "source", "occurred_at", "recorded_at", Contact.phone)
    column_default_sort = ("seq", True)  # the order they were recorded in, newest first
    column_details_list = (
        "seq", "occurred_at", "recorded_at", "contact", "action", "message_type", "source",
        "source_detail", "disclosure", "disclosure_hash", "page_url", "document_url", "actor",
        "campaign_id", "flow_id", "provider_message_id", "evidence.ip", "evidence.user_agent",
        "evidence.keyword_text", "evidence.erased_at", "personal_hash", "prev_hash", "hash",
    )
    column_formatters = {"disclosure_hash": short_hash, "prev_hash": short_hash,
                         "hash": short_hash, "personal_hash": short_hash}


class ConsentView(ReadOnlyModelView):
    area = "consent"
    column_list = ("contact", "message_type", "state", "since", "last_event")
    column_searchable_list = (Contact.phone,)
    column_filters = ("state", "since", Contact.phone)
    column_default_sort = ("since", True)


class DisclosureView(SecureModelView):
    """Opt-in texts. A disclosure that any event cites is frozen: make a new version instead."""

    area = "disclosures"
    column_list = ("name", "version", "language", "text", "content_hash", "created_at")
    column_searchable_list = ("name", "text")
    column_filters = ("name", "language", "created_at")
    column_formatters = {"content_hash": short_hash, "text": truncated}
    form_columns = ("name", "version", "language", "text")

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not is_created and self._is_cited(model.id):
            raise ValidationError(
                "This disclosure is cited by consent events and cannot change; "
                "create a new version instead."
            )
        super().on_model_change(form, model, is_created)

    def on_model_delete(self, model: Any) -> None:
        if self._is_cited(model.id):
            raise ValidationError("This disclosure is cited by consent events; it is kept.")
        super().on_model_delete(model)

    def _is_cited(self, disclosure_id: int) -> bool:
        query = sa.select(ConsentEvent.id).where(ConsentEvent.disclosure_id == disclosure_id)
        return self.db_session.scalar(query.limit(1)) is not None


class MessageTypeView(SecureModelView):
    area = "message_types"
    column_list = ("slug", "name", "requires_opt_in", "quiet_hours_exempt")
    column_searchable_list = ("slug", "name")
    form_columns = ("slug", "name", "description", "requires_opt_in", "quiet_hours_exempt")
