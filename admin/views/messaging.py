"""Flows, the message log, links, clicks, conversions and the raw webhook log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash
from flask_admin.actions import action

from admin.base import ReadOnlyModelView, SecureModelView
from admin.formatters import as_json, as_lines, message_body, truncated
from admin.validators import http_url
from core.models import Contact, Message
from core.sending import dispatch, queue


class MessageView(ReadOnlyModelView):
    """The message log; the sending pipeline writes it. Dead letters can be sent again."""

    area = "messages"
    action_permissions = {"retry": "messages:retry"}
    column_list = (
        "created_at", "direction", "phone", "status", "message_type", "body", "segments",
        "block_reasons", "provider", "attempts", "last_error",
    )
    column_searchable_list = ("phone", "body", "provider_message_id")
    column_filters = ("direction", "status", "provider", "created_at", "phone", "error_code",
                      "is_test")
    # Newest first by id: the primary key's order is the order texts were written, and its
    # index serves the first page of millions of rows at once.
    column_default_sort = ("id", True)
    column_labels = {"block_reasons": "Why blocked", "is_test": "Test"}
    column_formatters = {"body": message_body, "block_reasons": as_lines,
                         "last_error": truncated}

    def search_phone(self, query, joins, e164):
        """A whole number: the contact's texts, through the contact's unique phone index (the
        message table keeps no phone index, so queueing a million texts stays light)."""
        return query.filter(Message.contact_id.in_(
            sa.select(Contact.id).where(Contact.phone == e164))), joins

    @action("retry", "Retry (dead letters only)",
            "Send the selected dead-lettered messages again? The gate checks each one first.")
    def retry(self, ids: list[str]) -> None:
        retried = dispatch.retry_dead(self.db_session, self.typed_ids(ids))
        queue.submit_after_commit(self.db_session, self.db_session.scalars(
            sa.select(Message).where(Message.id.in_(retried))))
        self.db_session.commit()
        flash(f"Queued {len(retried)} dead-lettered message(s) again.", "success")


class LinkView(SecureModelView):
    area = "links"
    column_list = ("code", "destination", "contact_id", "flow_id", "created_at")
    column_searchable_list = ("code", "destination")
    column_filters = ("created_at",)
    form_columns = ("code", "destination")
    form_args = {"destination": {"validators": [http_url]}}


class ClickView(ReadOnlyModelView):
    area = "links"
    column_list = ("clicked_at", "link", "contact_id", "message_id", "user_agent")
    column_filters = ("clicked_at",)
    column_formatters = {"user_agent": truncated}


class ConversionView(ReadOnlyModelView):
    """Conversions are evidence of results; new ones come from integrations, the API or
    *Record a conversion* (which credits a flow by hand and is audited)."""

    area = "conversions"
    list_template = "consentdesk/conversion_list.html"
    column_list = ("occurred_at", "contact", "kind", "value", "source", "external_id", "flow")
    column_searchable_list = (Contact.phone, "external_id")
    column_filters = ("kind", "source", "occurred_at")
    column_default_sort = ("occurred_at", True)


class WebhookEventView(ReadOnlyModelView):
    area = "webhooks"
    column_list = ("received_at", "source", "endpoint", "status", "idempotency_key", "error")
    column_searchable_list = ("idempotency_key", "endpoint")
    column_filters = ("source", "status", "received_at")
    column_default_sort = ("received_at", True)
    column_formatters = {"headers": as_json, "body": truncated, "error": truncated}
