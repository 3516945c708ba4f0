"""The sandbox provider: delivers into the database, so the demo and tests need no vendor.

What it "delivers" is the outbound message row itself, shown on the admin's phone
simulator; replies typed there come back through the same signed webhook path as a real
vendor's. Magic numbers exercise the failure paths, like Twilio's test credentials:
+15005550001 is refused as invalid, +15005550004 has opted out at the "carrier",
+15005550006 is a landline, and +15005550009 fails temporarily (a 503).

``SANDBOX_LATENCY`` makes each send take that many seconds, as a vendor's API does (100–300
ms), and ``SANDBOX_ERROR_RATE`` refuses that share of sends with a temporary 503, so the
demo and the dispatch benchmark show real behaviour.

Webhooks are signed like a vendor's: ``X-Sandbox-Timestamp`` (Unix seconds) and
``X-Sandbox-Signature``, the hex HMAC-SHA256 of ``timestamp.body`` under a key derived from
the app's secret key; a timestamp more than 5 minutes off is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from datetime import UTC, datetime
from typing import Any

from hooks import hookimpl
from hooks.providers import (
    DELIVERED,
    FAILED,
    OPTED_OUT,
    SENT,
    UNDELIVERABLE,
    UNDELIVERED,
    Capabilities,
    InboundText,
    MalformedWebhook,
    OutboundText,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    RegistrationStatus,
    SendResult,
    StatusUpdate,
    TemporaryFailure,
    WebhookRequest,
)

SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Sandbox-Signature", "X-Sandbox-Timestamp"
# What the sandbox's reviewer rejects a registration for.
REVIEWED = ("message_flow.registry_length", "message_flow.opt_in_location",
            "message_flow.unprovable_consent")
TOLERANCE_SECONDS = 300
INVALID, OPTED_OUT_NUMBER, LANDLINE, UNAVAILABLE = (
    "+15005550001", "+15005550004", "+15005550006", "+15005550009")
STATUSES = (SENT, DELIVERED, UNDELIVERED, FAILED)


class SandboxProvider(Provider):
    name = "sandbox"
    capabilities = Capabilities(sms=True, mms=False, countries=("US", "CA"),
                                replies_to_stop_help=False, can_reconcile=True,
                                max_in_flight=256)  # it only sleeps: any number at once
    error_outcomes = {"opted_out": OPTED_OUT, "invalid": UNDELIVERABLE,
                      "landline": UNDELIVERABLE}

    def __init__(self, secret: str, latency: float = 0.0, error_rate: float = 0.0,
                 rng: random.Random | None = None):
        self._key = hashlib.sha256(f"sandbox-webhooks:{secret}".encode()).digest()
        if latency < 0 or not 0 <= error_rate <= 1:
            raise ValueError("SANDBOX_LATENCY must be >= 0 and SANDBOX_ERROR_RATE in 0..1")
        self.latency, self.error_rate = latency, error_rate
        self._rng = rng or random.Random()

    def send(self, text: OutboundText) -> SendResult:
        if self.latency:
            time.sleep(self.latency)
        if self.error_rate and self._rng.random() < self.error_rate:
            raise TemporaryFailure("sandbox API busy (503, SANDBOX_ERROR_RATE)", code="503")
        if text.to == INVALID:
            raise PermanentFailure("the number is not a valid mobile number", code="invalid")
        if text.to == OPTED_OUT_NUMBER:
            raise RecipientOptedOut("the recipient replied STOP to this sender", code="opted_out")
        if text.to == LANDLINE:
            raise PermanentFailure("the number is a landline and cannot receive texts",
                                   code="landline")
        if text.to == UNAVAILABLE:
            raise TemporaryFailure("sandbox carrier unavailable (503)", code="503")
        return SendResult(message_id_for(text.key), DELIVERED)

    def find_sent(self, text: OutboundText) -> SendResult | None:
        # The sandbox accepts whatever it is given; a text that reached it was delivered.
        return SendResult(message_id_for(text.key), DELIVERED)

    def sign(self, body: bytes, timestamp: int | str) -> str:
        return hmac.new(self._key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()

    def signed_headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The headers a sandbox webhook carries (the phone simulator and tests send them)."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: self.sign(body, stamp),
                "Content-Type": "application/json"}

    def verify(self, request: WebhookRequest) -> bool:
        stamp, given = request.header(TIMESTAMP_HEADER), request.header(SIGNATURE_HEADER)
        if not stamp or not given or not stamp.isdigit():
            return False
        if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
            return False
        return hmac.compare_digest(given, self.sign(request.body, stamp))

    def parse_inbound(self, request: WebhookRequest) -> list[InboundText]:
        data = _json(request)
        missing = [k for k in ("from", "to", "body", "id") if not isinstance(data.get(k), str)]
        if missing:
            raise MalformedWebhook(f"missing {', '.join(missing)}")
        return [InboundText(from_phone=data["from"], to_phone=data["to"], body=data["body"],
                            provider_message_id=data["id"],
                            sent_at=_parse_time(data.get("sent_at")))]

    def parse_status(self, request: WebhookRequest) -> list[StatusUpdate]:
        data = _json(request)
        if data.get("status") not in STATUSES:
            raise MalformedWebhook(f"unknown status {data.get('status')!r}")
        return [StatusUpdate(provider_message_id=data.get("id"), status=data["status"],
                             message_key=request.query.get("message"),
                             error_code=data.get("error_code"))]

    def registration_payload(self, brand: dict[str, Any], campaign: dict[str, Any]) -> dict:
        return {"brand": dict(brand), "campaign": dict(campaign), "provider": "sandbox"}

    # A reviewer in a box: it reads the message flow the way a carrier's vetting does and
    # decides ``REVIEW_SECONDS`` after the submission (the decision travels in the reference).
    can_submit_registration = True
    REVIEW_SECONDS = 5

    def submit_registration(self, payload) -> RegistrationStatus:
        from core.registration import checker, facts
        from core.registration.rules import RULES

        flow = (payload.get("campaign") or {}).get("message_flow") or ""
        review = checker.check(facts.from_text("message_flow", flow),
                               [r for r in RULES if r.id in REVIEWED])
        verdict = f"R-{review[0].rule}" if review else "A"
        return RegistrationStatus("pending", f"SBX-{int(time.time())}-{verdict}")

    def registration_status(self, reference: str) -> RegistrationStatus:
        try:
            _prefix, stamp, verdict = reference.split("-", 2)
            submitted = int(stamp)
        except ValueError:
            raise PermanentFailure(f"unknown registration {reference!r}") from None
        if time.time() - submitted < self.REVIEW_SECONDS:
            return RegistrationStatus("pending", reference)
        if verdict == "A":
            return RegistrationStatus("approved", reference)
        from core.registration.rules import RULES

        rule = next((r for r in RULES if r.id == verdict[2:]), None)
        return RegistrationStatus("rejected", reference,
                                  rule.message if rule else "rejected by the sandbox reviewer")


def message_id_for(key: str) -> str:
    return "SB" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _json(request: WebhookRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body)
    except ValueError:
        raise MalformedWebhook("the body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedWebhook("the body is not a JSON object")
    return data


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise MalformedWebhook(f"sent_at {value!r} is not an ISO-8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@hookimpl
def register_providers(settings):
    return [SandboxProvider(settings["SECRET_KEY"],
                            latency=float(settings.get("SANDBOX_LATENCY") or 0),
                            error_rate=float(settings.get("SANDBOX_ERROR_RATE") or 0))]
