"""What a provider plugin implements and what it exchanges with the core.

A provider is an object with a ``name`` and the methods of :class:`Provider`. The core
owns the outbox, the compliance gate, retries and the ledger; a provider only talks to
its vendor: it sends one text, says whether a text it may have accepted exists, and
turns the vendor's webhooks into :class:`InboundText` and :class:`StatusUpdate`.

Errors tell the core what to do next: raise :class:`TemporaryFailure` for timeouts,
connection errors and 5xx (retried with backoff), :class:`Throttled` for a 429 (the sender
slows down, nothing fails), :class:`PermanentFailure`
for anything a retry cannot fix (4xx), and :class:`RecipientOptedOut` when the vendor
refuses because the person opted out there (the core records the opt-out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Delivery states a provider may report, in the order a message moves through them.
SENT, DELIVERED, UNDELIVERED, FAILED = "sent", "delivered", "undelivered", "failed"

# What a vendor's error code says about the person, declared by each provider in
# ``Provider.error_outcomes``: they opted out with the vendor or carrier (the core records an
# opt-out and suppresses the number, once), or the number cannot receive texts (the gate
# holds sends to it until a later delivery or a fresh opt-in).
OPTED_OUT, UNDELIVERABLE = "opted_out", "undeliverable"
OUTCOMES = (OPTED_OUT, UNDELIVERABLE)


@dataclass(frozen=True)
class Capabilities:
    sms: bool = True
    mms: bool = False
    countries: tuple[str, ...] = ("US", "CA")
    # True when the vendor itself answers STOP/HELP (e.g. Twilio Advanced Opt-Out), so the
    # core must not send a second confirmation.
    replies_to_stop_help: bool = False
    # True when :meth:`Provider.find_sent` can tell whether an accepted text exists.
    can_reconcile: bool = False
    # How many sends the core may have in flight at once through this provider object.
    # Above 1, ``send`` is called from several threads at a time, so it must be thread-safe
    # (an SDK client over a pooled keep-alive HTTP session is); 1 keeps a simple plugin's
    # sends one after another. The core caps it with CONSENTDESK_DISPATCH_CONCURRENCY.
    max_in_flight: int = 1


@dataclass(frozen=True)
class OutboundText:
    """One text to send. ``key`` is the outbox idempotency key; ``status_url`` is where the
    vendor should post delivery receipts (it names the message, so a receipt finds its row
    even when the send's answer was lost)."""

    key: str
    to: str
    from_: str
    body: str
    status_url: str | None = None
    media_urls: tuple[str, ...] = ()
    sending_since: datetime | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str = SENT


class FormValues(dict):
    """Form or query fields: ``values[key]`` is the first value, ``getlist(key)`` all of
    them, in the order sent (a signature such as Twilio's covers every value of a key)."""

    def __init__(self, items: tuple[tuple[str, str], ...] = ()):
        super().__init__()
        self._items = tuple(items)
        for key, value in self._items:
            self.setdefault(key, value)

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self._items if name == key]

    def items_multi(self) -> tuple[tuple[str, str], ...]:
        return self._items


@dataclass(frozen=True)
class WebhookRequest:
    """The raw request as received: what a signature is computed over.

    ``form`` holds the urlencoded body's fields (empty for other bodies) and ``query`` the
    URL's; both are :class:`FormValues`, so a repeated key keeps every value."""

    kind: str  # the last part of /hooks/providers/<name>/<kind>
    url: str  # the public URL the vendor called (see CONSENTDESK_PUBLIC_URL)
    method: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str] = field(default_factory=FormValues)
    query: Mapping[str, str] = field(default_factory=FormValues)
    content_type: str = ""

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lower), None)


class MalformedWebhook(ValueError):
    """A verified request that lacks what its route needs ("no From", "unknown MessageStatus
    'bogus'"): raise it from ``parse_inbound``/``parse_status``. The core answers 400 with the
    message, keeps the request for audit and processes nothing."""


@dataclass(frozen=True)
class InboundText:
    from_phone: str
    to_phone: str
    body: str
    provider_message_id: str
    sent_at: datetime
    # The vendor already handled (and answered) this as an opt-out/opt-in/help keyword.
    handled_by_provider: bool = False


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str | None
    status: str  # one of SENT, DELIVERED, UNDELIVERED, FAILED
    message_key: str | None = None  # from the status URL, when the vendor echoes it
    error_code: str | None = None
    error_detail: str | None = None


@dataclass(frozen=True)
class WebhookReply:
    """What the webhook endpoint answers the vendor."""

    body: str = ""
    content_type: str = "text/plain"
    status: int = 200


REGISTRATION_STATES = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class RegistrationStatus:
    """Where a submitted brand/campaign registration stands at the vendor."""

    state: str  # one of REGISTRATION_STATES
    reference: str  # the vendor's id for the submission, to ask about it later
    reason: str | None = None  # why it was rejected, in the vendor's words

    def __post_init__(self) -> None:
        if self.state not in REGISTRATION_STATES:
            raise ValueError(f"registration state must be one of {REGISTRATION_STATES}")


class ProviderFailure(Exception):
    def __init__(self, detail: str, code: str | None = None):
        super().__init__(detail)
        self.detail, self.code = detail, code


class TemporaryFailure(ProviderFailure):
    """Timeouts, connection errors, 5xx, throttling: retried with backoff.

    Set ``uncertain`` when the vendor may have accepted the text (a timeout after the
    request went out): the core then asks ``find_sent`` before any retry, or, for a
    provider that cannot reconcile, never resends it automatically."""

    def __init__(self, detail: str, code: str | None = None, uncertain: bool = False):
        super().__init__(detail, code)
        self.uncertain = uncertain


class Throttled(TemporaryFailure):
    """The vendor asks us to slow down (HTTP 429 or its throttling error code).

    ``retry_after`` is the vendor's Retry-After in seconds, when it gave one. The core pauses
    the sender for that long across every worker and queues the text again without
    counting the attempt: a throttled text has not failed."""

    def __init__(self, detail: str, code: str | None = None,
                 retry_after: float | None = None):
        super().__init__(detail, code)
        self.retry_after = retry_after


class PermanentFailure(ProviderFailure):
    """A refusal a retry cannot fix (invalid number, unroutable, bad credentials)."""


class RecipientOptedOut(PermanentFailure):
    """The vendor refuses because the recipient opted out with it (Twilio 21610, Telnyx 40300)."""


class Provider:
    """Base class for providers. Subclasses set ``name`` and override what they support."""

    name: str = ""
    capabilities = Capabilities()
    # Vendor error code -> OPTED_OUT or UNDELIVERABLE, for send refusals and for the error
    # codes of status callbacks alike. Codes not listed only mark the message failed.
    error_outcomes: Mapping[str, str] = {}

    def send(self, text: OutboundText) -> SendResult:
        """Hand one text to the vendor; return its id. Raise a :class:`ProviderFailure`."""
        raise NotImplementedError

    def find_sent(self, text: OutboundText) -> SendResult | None:
        """After a crash: the vendor's record of ``text`` if it was accepted, else None.

        Called only when ``capabilities.can_reconcile``; otherwise a message whose send
        is uncertain is never resent automatically (it goes to the dead letters)."""
        raise NotImplementedError

    def verify(self, request: WebhookRequest) -> bool:
        """True when the webhook's signature is valid, computed exactly as the vendor
        documents it over the raw body (and timestamp, when the vendor signs one). Never
        accept unsigned requests; an exception counts as a refusal."""
        raise NotImplementedError

    def parse_inbound(self, request: WebhookRequest) -> list[InboundText]:
        """The texts a verified inbound webhook carries (none for other event types).
        Raise :class:`MalformedWebhook` when a field the route needs is missing."""
        return []

    def parse_status(self, request: WebhookRequest) -> list[StatusUpdate]:
        """The delivery receipts a verified status webhook carries (none for states that
        move nothing forward). Raise :class:`MalformedWebhook` for an unknown status."""
        return []

    def reply(self, request: WebhookRequest) -> WebhookReply:
        """The HTTP answer the vendor expects once a webhook is stored."""
        return WebhookReply()

    def registration_payload(self, brand: Mapping[str, Any],
                             campaign: Mapping[str, Any]) -> dict[str, Any]:
        """The vendor's brand/campaign registration request body, from the core's records."""
        return {"brand": dict(brand), "campaign": dict(campaign)}

    # Set by a provider that can submit registrations itself; without it the admin offers the
    # payload as JSON to submit in the vendor's console.
    can_submit_registration: bool = False

    def submit_registration(self, payload: Mapping[str, Any]) -> RegistrationStatus:
        """Submit :meth:`registration_payload`'s request; return its first status. Raise a
        :class:`ProviderFailure` when the vendor refuses or cannot be reached."""
        raise NotImplementedError

    def registration_status(self, reference: str) -> RegistrationStatus:
        """Where the submission ``reference`` stands now."""
        raise NotImplementedError


@dataclass(frozen=True)
class Branding:
    """How a reseller's bundle presents the admin: name, logo and colours."""

    product_name: str
    logo_url: str | None = None
    primary_colour: str = "#1f6f5c"
    accent_colour: str = "#f2b134"
