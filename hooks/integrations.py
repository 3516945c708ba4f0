"""What an integration plugin (a shop, a calendar, a helpdesk, a CRM) implements.

An integration turns another system's webhooks into core actions. The core owns
everything around it: it mounts ``/hooks/integrations/<name>/<route>``, stores every
delivery (raw body and headers) before anything else, calls :meth:`Integration.verify` on
the raw bytes, refuses a signed time more than ``tolerance`` away, processes each
:meth:`Integration.event_id` once, answers at once and runs :meth:`Integration.map` in the
task queue, then applies the returned actions through the consent ledger, the flow engine
and the gate. A plugin imports only ``hooks``::

    from hooks import hookimpl
    from hooks.integrations import FlowEvent, Integration, UpsertContact

    class Acme(Integration):
        name, label = "acme", "Acme CRM"
        def verify(self, request, settings): ...
        def map(self, request, settings):
            lead = request.json()
            return [UpsertContact(lead["phone"], first_name=lead.get("name")),
                    FlowEvent(lead["phone"], "form.submitted", {"form": "acme"})]

    @hookimpl
    def register_integrations(settings):
        return [Acme()]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import Form

# ---------------------------------------------------------------------------- the request


class MalformedDelivery(ValueError):
    """A verified delivery the mapping cannot read (no phone where one must be, bad JSON):
    raise it from :meth:`Integration.map`. The delivery is marked failed with the message;
    the sender gets 200 (retrying would not help)."""


@dataclass(frozen=True)
class IntegrationRequest:
    """A delivery as received: what a signature is computed over."""

    route: str  # the last part of /hooks/integrations/<name>/<route>
    url: str  # the public URL the sender called
    method: str
    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lower), None)

    def json(self) -> Any:
        """The body as JSON, or :class:`MalformedDelivery`."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise MalformedDelivery(f"the body is not JSON: {error}") from None


def hmac_sha256(secret: str | bytes, message: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def same(expected: bytes | str, given: bytes | str | None) -> bool:
    """Constant-time comparison; None never matches."""
    if given is None:
        return False
    a = expected.encode() if isinstance(expected, str) else expected
    b = given.encode() if isinstance(given, str) else given
    return hmac.compare_digest(a, b)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def moment(value: Any) -> datetime:
    """A sender's time as an aware datetime: ISO 8601 (``Z`` too) or Unix seconds; now when
    empty; :class:`MalformedDelivery` when it is neither."""
    if value in (None, ""):
        return datetime.now(UTC)
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedDelivery(f"{value!r} is not a time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def amount(value: Any) -> Decimal | None:
    """A sender's money value (``"398.00"``, ``59.9``); None when empty;
    :class:`MalformedDelivery` when it is not a number."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise MalformedDelivery(f"{value!r} is not an amount") from None


# ---------------------------------------------------------------------------- the actions
# What a mapping asks the core to do, in order. Phones are as the sender wrote them; the core
# makes them E.164 (a number it cannot read fails the delivery with the reason).


@dataclass(frozen=True)
class UpsertContact:
    """Create the contact or fill in what is missing; ``attributes`` are merged (segment
    fields such as ``shopify_customer_id``); ``tags`` are added."""

    phone: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    postal_code: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    tags: Sequence[str] = ()


@dataclass(frozen=True)
class RecordConsent:
    """An opt-in or opt-out for one message type (``"all"`` for an opt-out of everything),
    with the sender's evidence. An opt-in names the disclosure the person saw (its name in
    Consentdesk; the integration's settings usually hold it) and fails without one."""

    phone: str
    message_type: str
    action: str  # "opt_in" or "opt_out"
    occurred_at: datetime
    detail: str
    disclosure: str | None = None
    evidence: Mapping[str, str | None] = field(default_factory=dict)  # ip, user_agent, page_url
    external_id: str | None = None


@dataclass(frozen=True)
class FlowEvent:
    """An event that may start flows (``order.fulfilled``, ``appointment.booked``...). The same
    ``external_id`` from the same integration is stored once."""

    phone: str
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Conversion:
    """A purchase or booking, credited to the flow whose link the person clicked last within
    ``click_window_days``. ``kind="order.created"`` also keeps the purchase segment fields
    (``orders_count``, ``total_spent``, ``last_order_at``) current."""

    phone: str
    kind: str
    occurred_at: datetime
    external_id: str
    value: Decimal | None = None
    click_window_days: int = 7
    products: Sequence[str] = ()


@dataclass(frozen=True)
class CancelPending:
    """Stop the runs started by an earlier event about the same thing (``{"checkout_id":
    "123"}``) and hold their texts not yet sent."""

    phone: str
    reference: Mapping[str, str]
    reason: str


@dataclass(frozen=True)
class Revocation:
    """Someone asked, outside a text, to stop messages (a helpdesk ticket): the words are read
    by the same classifier as inbound texts; a revocation is recorded as an opt-out with a
    follow-up ticket, anything else is left alone."""

    phone: str
    text: str
    channel: str
    note: str


@dataclass(frozen=True)
class EraseContact:
    """A privacy request: erase the person's personal data (their consent events and
    suppression stay, so they are never texted again)."""

    phone: str
    reason: str


@dataclass(frozen=True)
class ExportContact:
    """A data request: the person's record is written to the delivery's log for the admin
    to send on."""

    phone: str
    reason: str


@dataclass(frozen=True)
class Disconnect:
    """The other system asks to be forgotten (Shopify's shop/redact): the connection's settings
    and secrets are deleted; its contacts and their consent history stay."""

    reason: str


Action = (UpsertContact | RecordConsent | FlowEvent | Conversion | CancelPending | Revocation
          | EraseContact | ExportContact | Disconnect)


@dataclass(frozen=True)
class Ignored:
    """Returned alone by :meth:`Integration.map` for a topic this integration does not act on:
    the delivery is acknowledged and logged as ignored."""

    reason: str


# ---------------------------------------------------------------------------- forwarding
# Consentdesk events an integration may ask to receive (``Integration.forwards``), with their
# payloads: ``consent.changed`` {phone, message_type, action, source, occurred_at, seq};
# ``message.delivered`` {phone, message_id, flow_id, campaign_id, delivered_at};
# ``link.clicked`` {phone, link_code, flow_id, clicked_at}; ``conversion.recorded`` {phone,
# kind, value, flow_id, occurred_at, external_id}.
FORWARDABLE = ("consent.changed", "message.delivered", "link.clicked", "conversion.recorded")


@dataclass(frozen=True)
class OutgoingEvent:
    id: int  # the same on every retry: the receiver's idempotency key
    kind: str
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class OutgoingRequest:
    """What :meth:`Integration.forward` asks the core to POST (the core sends it, with a
    timeout, and retries with backoff on a network error or a non-2xx answer)."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SampleDelivery:
    """A signed delivery as the other system would send it, for the demo's sandbox."""

    route: str
    headers: Mapping[str, str]
    body: bytes


# ---------------------------------------------------------------------------- the integration


class Integration:
    """Base class: subclasses set ``name`` and ``label`` and implement ``verify`` and ``map``."""

    name: str = ""
    label: str = ""
    description: str = ""
    routes: tuple[str, ...] = ("events",)
    # A WTForms form class for the connection's settings (shop domain, signing secret...).
    settings_form: type[Form] | None = None
    # Settings fields kept encrypted and never shown again once saved.
    secret_fields: tuple[str, ...] = ()
    # Seconds a signed timestamp may be away from the server's clock.
    tolerance: int = 300
    # Where in the other system the webhook URL is pasted, in the admin's words.
    setup_help: str = ""
    # A secret settings field holding a bearer token: when set, the core answers
    # ``GET /hooks/integrations/<name>/status?phone=...`` (with that token) with the person's
    # consent status and recent history as JSON, for a helpdesk sidebar or a CRM card.
    status_token_field: str | None = None

    def sandbox_settings(self) -> dict[str, Any] | None:
        """Settings of a sandbox connection for the demo (None: no sandbox)."""
        return None

    def sandbox_deliveries(self, settings: Mapping[str, Any],
                           phone: str) -> Sequence[SampleDelivery]:
        """Signed sample deliveries about ``phone`` that the demo sends to the real intake."""
        return ()

    def forwards(self, settings: Mapping[str, Any]) -> Sequence[str]:
        """The Consentdesk events (:data:`FORWARDABLE`) this connection wants sent to it."""
        return ()

    def forward(self, event: OutgoingEvent,
                settings: Mapping[str, Any]) -> OutgoingRequest | None:
        """The signed request that delivers ``event``; None when this event is not for the
        other system (the row is logged as skipped)."""
        return None

    def verify(self, request: IntegrationRequest, settings: Mapping[str, Any]) -> bool:
        """True when the delivery's signature is valid, computed exactly as the sender
        documents it over the raw body, compared in constant time. Never accept unsigned
        deliveries; an exception counts as a refusal."""
        raise NotImplementedError

    def signed_at(self, request: IntegrationRequest) -> datetime | None:
        """The time the signature covers, when the sender signs one (the core refuses a
        delivery more than ``tolerance`` seconds away); None when it signs none."""
        return None

    def event_id(self, request: IntegrationRequest) -> str | None:
        """The sender's id for the event, the same on a redelivery (processed once);
        None: the body's SHA-256 is used."""
        return None

    def topic(self, request: IntegrationRequest) -> str:
        """What the delivery is about (``orders/create``), for the log."""
        return request.route

    def map(self, request: IntegrationRequest,
            settings: Mapping[str, Any]) -> Sequence[Action] | Ignored:
        """The actions a verified delivery asks for, or :class:`Ignored`. Raise
        :class:`MalformedDelivery` when it cannot be read."""
        raise NotImplementedError
