"""Zendesk (the helpdesk) for Consentdesk.

Verification is Zendesk's: ``X-Zendesk-Webhook-Signature`` is the base64 HMAC-SHA256 of the
``X-Zendesk-Webhook-Signature-Timestamp`` value followed directly by the raw body, under the
webhook's signing secret; a timestamp more than five minutes away is refused. The event id is
``X-Zendesk-Webhook-Invocation-Id``, the same on Zendesk's retries.

Zendesk sends what a trigger's webhook action puts in its JSON body; the README gives the
body to paste (``TRIGGER_BODY``). A delivery then says which ticket, its status, the
requester's phone and the latest public comment, and whether the requester wrote it:

- status ``solved``: ``ticket.solved`` (the satisfaction-survey flow);
- otherwise, an agent's public comment: ``ticket.updated`` (the case-update flow; support
  texts go only to requesters who opted in to them: the gate decides);
- a requester's comment that asks to stop messages (read by the same classifier as inbound
  texts): an opt-out of everything and a revocation ticket with its deadline.

Its connection also keeps a sidebar token: a Zendesk sidebar app calls
``GET /hooks/integrations/zendesk/status?phone=...`` with ``Authorization: Bearer <token>``
for the requester's consent status and history.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wtforms import Form, PasswordField, StringField
from wtforms.validators import URL, InputRequired, Length, Optional

from hooks import hookimpl
from hooks.integrations import (
    FlowEvent,
    Ignored,
    Integration,
    IntegrationRequest,
    MalformedDelivery,
    Revocation,
    UpsertContact,
    hmac_sha256,
    same,
)

TRIGGER_BODY = """{
  "ticket_id": "{{ticket.id}}",
  "status": "{{ticket.status}}",
  "subject": "{{ticket.title}}",
  "requester_id": "{{ticket.requester.id}}",
  "requester_name": "{{ticket.requester.first_name}}",
  "requester_phone": "{{ticket.requester.phone}}",
  "comment": "{{ticket.latest_public_comment.value}}",
  "comment_author_id": "{{ticket.latest_public_comment.author.id}}",
  "updated_at": "{{ticket.updated_at_with_timestamp}}"
}"""


class ZendeskSettings(Form):
    help_center = StringField(
        "Help center address", validators=[InputRequired(), URL(require_tld=False)],
        description="Where requesters read their requests, e.g. "
                    "https://bloomandbranch.zendesk.com (texts link to /hc/requests/<id>).")
    signing_secret = PasswordField(
        "Webhook signing secret", validators=[InputRequired()],
        description="Admin Center → Apps and integrations → Webhooks → your webhook → "
                    "Reveal secret.")
    sidebar_token = PasswordField(
        "Sidebar token", validators=[Optional(), Length(min=24)],
        description="A long random token your Zendesk sidebar app sends as a bearer token to "
                    "read a requester's consent (24 characters or more).")


class Zendesk(Integration):
    name = "zendesk"
    label = "Zendesk"
    description = ("Case updates and satisfaction surveys by text for requesters who opted "
                   "in; a ticket asking to stop messages is honoured as a revocation; a "
                   "sidebar shows an agent the requester's consent.")
    settings_form = ZendeskSettings
    secret_fields = ("signing_secret", "sidebar_token")
    status_token_field = "sidebar_token"
    setup_help = ("In Zendesk: create a webhook (Trigger or automation, POST, JSON) with this "
                  "address, then a trigger 'Ticket is updated' whose action notifies it with "
                  "the JSON body given in the plugin's README.")

    def verify(self, request: IntegrationRequest, settings: Mapping[str, Any]) -> bool:
        secret = settings.get("signing_secret")
        stamp = request.header("X-Zendesk-Webhook-Signature-Timestamp")
        if not secret or not stamp:
            return False
        expected = base64.b64encode(hmac_sha256(secret, stamp.encode() + request.body)).decode()
        return same(expected, request.header("X-Zendesk-Webhook-Signature"))

    def signed_at(self, request: IntegrationRequest) -> datetime | None:
        return datetime.fromisoformat(
            request.header("X-Zendesk-Webhook-Signature-Timestamp").replace("Z", "+00:00"))

    def event_id(self, request: IntegrationRequest) -> str | None:
        return request.header("X-Zendesk-Webhook-Invocation-Id")

    def topic(self, request: IntegrationRequest) -> str:
        body = request.json()
        if isinstance(body, dict) and body.get("type"):
            return str(body["type"])
        return f"ticket {body.get('status', '?')}" if isinstance(body, dict) else "?"

    def map(self, request: IntegrationRequest, settings: Mapping[str, Any]):
        ticket = request.json()
        if not isinstance(ticket, dict):
            raise MalformedDelivery("the body is not a JSON object")
        if str(ticket.get("type", "")).startswith("zen:event-type:"):
            return Ignored("an event-subscription webhook carries no requester phone: use a "
                           "trigger webhook with the README's JSON body")
        if not ticket.get("ticket_id"):
            raise MalformedDelivery("no ticket_id: is the trigger's body the README's?")
        phone = (ticket.get("requester_phone") or "").strip()
        if not phone:
            return Ignored(f"ticket {ticket['ticket_id']}: the requester has no phone number")
        ticket_id, status = str(ticket["ticket_id"]), str(ticket.get("status") or "").lower()
        comment = (ticket.get("comment") or "").strip()
        by_requester = bool(comment) and str(ticket.get("comment_author_id") or "") == \
            str(ticket.get("requester_id") or "-")
        center = str(settings.get("help_center") or "").rstrip("/")
        payload = {"ticket_id": ticket_id, "subject": ticket.get("subject"),
                   "url": f"{center}/hc/requests/{ticket_id}" if center else None}
        actions: list[Any] = [UpsertContact(phone, first_name=ticket.get("requester_name"),
                                            attributes={"zendesk_requester_id":
                                                        str(ticket.get("requester_id") or "")},
                                            tags=("zendesk",))]
        if by_requester:
            actions.append(Revocation(phone, comment, "helpdesk",
                                      f"Zendesk ticket {ticket_id}: {comment}"[:500]))
        if status == "solved":
            actions.append(FlowEvent(phone, "ticket.solved", payload,
                                     external_id=f"solved:{ticket_id}"))
        elif comment and not by_requester:
            actions.append(FlowEvent(phone, "ticket.updated", payload,
                                     external_id=f"updated:{ticket_id}:"
                                                 f"{ticket.get('updated_at') or comment[:40]}"))
        return actions


@hookimpl
def register_integrations(settings):
    return [Zendesk()]
