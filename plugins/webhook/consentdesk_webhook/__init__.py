"""A generic webhook for any CRM, loyalty or analytics system, both ways.

In: a signed JSON POST, signed the Standard Webhooks way (https://www.standardwebhooks.com,
what Svix and many SaaS tools send): ``webhook-id``, ``webhook-timestamp`` (Unix seconds,
refused more than five minutes away) and ``webhook-signature`` (``v1,<base64>`` entries
separated by spaces) where the signature is the HMAC-SHA256 of ``<id>.<timestamp>.<body>``
under the base64-decoded secret after its ``whsec_`` prefix. ``webhook-id`` is the event id.
What a delivery means is configured in the admin: which JSON path holds the phone, the event
name, the names and the evidence, and what each event name does (a line per event):

    lead.created = flow:form.submitted        # a flow event (any event type Consentdesk knows)
    subscribed = opt_in:marketing             # consent, with the configured evidence paths
    unsubscribed = opt_out:all
    purchase = conversion:order.created       # a conversion; the value from its path
    member.updated = contact                  # the contact's details and attributes only

Out: the Consentdesk events you tick (consent changed, message delivered, link clicked,
conversion) are POSTed to your URL as JSON, signed the same way with your outgoing secret,
retried with backoff by the core, each visible in the delivery log.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from wtforms import Form, PasswordField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from hooks import hookimpl
from hooks.integrations import (
    FORWARDABLE,
    Conversion,
    FlowEvent,
    Ignored,
    Integration,
    IntegrationRequest,
    MalformedDelivery,
    OutgoingEvent,
    OutgoingRequest,
    RecordConsent,
    UpsertContact,
    amount,
    hmac_sha256,
    moment,
    same,
)

LINE = re.compile(r"^\s*([^=#]+?)\s*=\s*([^#]+?)\s*(?:#.*)?$")
ACTION = re.compile(r"^(flow|opt_in|opt_out|conversion):([a-z0-9_.]+)$|^contact$")
SECRET = r"^whsec_[A-Za-z0-9+/=]{16,}$"


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for a message, as Standard Webhooks defines it."""
    mac = hmac_sha256(_key(secret), f"{message_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(mac).decode()


def parse_map(text: str) -> dict[str, str]:
    """``their event = our action`` lines; a line that does not parse is a ValueError."""
    found = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = LINE.match(line)
        if not match or not ACTION.match(match.group(2)):
            raise ValueError(f"line {number} ({line.strip()!r}) is not 'event = flow:<event>', "
                             "'opt_in:<type>', 'opt_out:<type or all>', "
                             "'conversion:<kind>' or 'contact'")
        found[match.group(1)] = match.group(2)
    return found


def _valid_map(form: Form, field: Any) -> None:
    from wtforms import ValidationError

    try:
        parse_map(field.data)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class WebhookSettings(Form):
    signing_secret = PasswordField(
        "Incoming signing secret", validators=[InputRequired(), Regexp(
            SECRET, message="A Standard Webhooks secret: whsec_ followed by base64.")],
        description="The whsec_... secret the other system signs with.")
    event_map = TextAreaField(
        "What each event does", validators=[_valid_map], default="",
        description="One line per event name: 'lead.created = flow:form.submitted', "
                    "'subscribed = opt_in:marketing', 'unsubscribed = opt_out:all', "
                    "'purchase = conversion:order.created', 'member.updated = contact'.")
    event_path = StringField("Event name path", default="type", validators=[InputRequired()])
    phone_path = StringField("Phone path", default="data.phone", validators=[InputRequired()])
    first_name_path = StringField("First name path", default="data.first_name")
    last_name_path = StringField("Last name path", default="data.last_name")
    email_path = StringField("Email path", default="data.email")
    occurred_at_path = StringField("Time path", default="data.occurred_at",
                                   description="ISO 8601 or Unix seconds; empty: when received.")
    ip_path = StringField("Consent evidence: IP path", default="data.ip")
    user_agent_path = StringField("Consent evidence: user agent path", default="data.user_agent")
    page_url_path = StringField("Consent evidence: page path", default="data.page_url")
    value_path = StringField("Conversion value path", default="data.total")
    attributes = TextAreaField(
        "Contact attributes", default="",
        description="Lines 'attribute = path', e.g. 'tier = data.loyalty.tier' (any "
                    "attribute can define a segment).")
    disclosure = StringField(
        "Disclosure", validators=[Optional()],
        description="The Consentdesk disclosure the other system's sign-up shows (opt-ins "
                    "are refused without one).")
    forward_url = StringField("Forward Consentdesk events to", validators=[
        Optional(), URL(require_tld=False)])
    forward_events = SelectMultipleField(
        "Events to forward", choices=[(k, k) for k in FORWARDABLE],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    forward_secret = PasswordField(
        "Outgoing signing secret", validators=[Optional(), Regexp(
            SECRET, message="A Standard Webhooks secret: whsec_ followed by base64.")],
        description="Forwarded events are signed with it (Standard Webhooks headers).")


def path(data: Any, dotted: str | None) -> Any:
    """The value at ``a.b.0.c`` in ``data``; None when any step is missing."""
    if not dotted:
        return None
    for step in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


class Webhook(Integration):
    name = "webhook"
    label = "Generic webhook"
    description = ("Any CRM, loyalty or analytics system: signed JSON in, mapped to leads, "
                   "consent, events and conversions in the admin; Consentdesk events out.")
    settings_form = WebhookSettings
    secret_fields = ("signing_secret", "forward_secret")
    setup_help = ("Give the other system this address and the whsec_ secret; it must sign "
                  "Standard Webhooks style (webhook-id, webhook-timestamp, webhook-signature).")

    def verify(self, request: IntegrationRequest, settings: Mapping[str, Any]) -> bool:
        secret = settings.get("signing_secret")
        message_id, stamp = request.header("webhook-id"), request.header("webhook-timestamp")
        signatures = (request.header("webhook-signature") or "").split()
        if not secret or not message_id or not stamp or not stamp.isdigit():
            return False
        expected = sign(secret, message_id, int(stamp), request.body)
        return any(same(expected, given) for given in signatures)

    def signed_at(self, request: IntegrationRequest) -> datetime | None:
        return datetime.fromtimestamp(int(request.header("webhook-timestamp")), UTC)

    def event_id(self, request: IntegrationRequest) -> str | None:
        return request.header("webhook-id")

    def topic(self, request: IntegrationRequest) -> str:
        return "?"

    def map(self, request: IntegrationRequest, settings: Mapping[str, Any]):
        data = request.json()
        if not isinstance(data, dict):
            raise MalformedDelivery("the body is not a JSON object")
        event = path(data, settings.get("event_path") or "type")
        mapping = parse_map(settings.get("event_map") or "")
        action = mapping.get(str(event))
        if action is None:
            return Ignored(f"no line for event {event!r} in the connection's mapping")
        phone = path(data, settings.get("phone_path"))
        if not phone:
            raise MalformedDelivery(f"no phone at {settings.get('phone_path')!r}")
        phone, when = str(phone), moment(path(data, settings.get("occurred_at_path")))
        attributes = {name: path(data, where) for name, where in
                      _pairs(settings.get("attributes") or "").items()
                      if path(data, where) is not None}
        actions: list[Any] = [UpsertContact(
            phone, first_name=_text(data, settings.get("first_name_path")),
            last_name=_text(data, settings.get("last_name_path")),
            email=_text(data, settings.get("email_path")), attributes=attributes)]
        kind, _, target = action.partition(":")
        detail = f"generic webhook event {event} ({request.header('webhook-id')})"
        if kind in ("opt_in", "opt_out"):
            evidence = {"ip": _text(data, settings.get("ip_path")),
                        "user_agent": _text(data, settings.get("user_agent_path")),
                        "page_url": _text(data, settings.get("page_url_path"))}
            actions.append(RecordConsent(phone, target, kind, when, detail,
                                         disclosure=settings.get("disclosure") or None,
                                         evidence=evidence))
        elif kind == "flow":
            actions.append(FlowEvent(phone, target, _payload(data), when,
                                     external_id=request.header("webhook-id")))
        elif kind == "conversion":
            actions.append(Conversion(phone, target, when,
                                      external_id=str(request.header("webhook-id")),
                                      value=amount(path(data, settings.get("value_path")))))
        return actions

    def forwards(self, settings: Mapping[str, Any]) -> list[str]:
        if not settings.get("forward_url") or not settings.get("forward_secret"):
            return []
        return list(settings.get("forward_events") or [])

    def forward(self, event: OutgoingEvent, settings: Mapping[str, Any]) -> OutgoingRequest:
        body = json.dumps({"type": event.kind, "timestamp": event.created_at.isoformat(),
                           "data": dict(event.payload)}, sort_keys=True).encode()
        message_id, stamp = f"msg_consentdesk_{event.id}", int(time.time())
        return OutgoingRequest(settings["forward_url"], body, {
            "content-type": "application/json", "webhook-id": message_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(settings["forward_secret"], message_id, stamp, body)})


def _pairs(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in map(LINE.match, text.splitlines()) if m}


def _text(data: Any, where: str | None) -> str | None:
    value = path(data, where)
    return str(value) if value not in (None, "") else None


def _payload(data: dict) -> dict[str, Any]:
    inner = data.get("data") if isinstance(data.get("data"), dict) else data
    return {key: value for key, value in inner.items()
            if isinstance(value, str | int | float | bool) and key != "phone"}






@hookimpl
def register_integrations(settings):
    return [Webhook()]
