"""The sandbox provider: delivers into the database, so the demo and tests need no vendor.

What it "delivers" is the outbound message row itself, shown on the admin's phone
simulator; replies typed there come back through the same signed webhook path as a real
vendor's. Magic numbers exercise the failure paths, like Twilio's test credentials:
+15005550001 is refused as invalid, +15005550004 has opted out at the "carrier", and
+15005550009 fails temporarily (a 503).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from hooks import hookimpl
from hooks.providers import (
    DELIVERED,
    Capabilities,
    InboundText,
    OutboundText,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    SendResult,
    StatusUpdate,
    TemporaryFailure,
    WebhookRequest,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
INVALID, OPTED_OUT, UNAVAILABLE = "+15005550001", "+15005550004", "+15005550009"


class SandboxProvider(Provider):
    name = "sandbox"
    capabilities = Capabilities(sms=True, mms=False, countries=("US", "CA"),
                                replies_to_stop_help=False, can_reconcile=True)

    def __init__(self, secret: str):
        self._key = hashlib.sha256(f"sandbox-webhooks:{secret}".encode()).digest()

    def send(self, text: OutboundText) -> SendResult:
        if text.to == INVALID:
            raise PermanentFailure("the number is not a valid mobile number", code="invalid")
        if text.to == OPTED_OUT:
            raise RecipientOptedOut("the recipient replied STOP to this sender", code="opted_out")
        if text.to == UNAVAILABLE:
            raise TemporaryFailure("sandbox carrier unavailable (503)", code="503")
        return SendResult(message_id_for(text.key), DELIVERED)

    def find_sent(self, text: OutboundText) -> SendResult | None:
        # The sandbox accepts whatever it is given; a text that reached it was delivered.
        return SendResult(message_id_for(text.key), DELIVERED)

    def sign(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def verify(self, request: WebhookRequest) -> bool:
        given = request.header(SIGNATURE_HEADER) or ""
        return hmac.compare_digest(given, self.sign(request.body))

    def parse_inbound(self, request: WebhookRequest) -> list[InboundText]:
        data = json.loads(request.body)
        return [InboundText(from_phone=data["from"], to_phone=data["to"], body=data["body"],
                            provider_message_id=data["id"],
                            sent_at=_parse_time(data.get("sent_at")))]

    def parse_status(self, request: WebhookRequest) -> list[StatusUpdate]:
        data = json.loads(request.body)
        return [StatusUpdate(provider_message_id=data.get("id"), status=data["status"],
                             message_key=request.query.get("message"),
                             error_code=data.get("error_code"))]

    def registration_payload(self, brand: dict[str, Any], campaign: dict[str, Any]) -> dict:
        return {"brand": dict(brand), "campaign": dict(campaign), "provider": "sandbox"}


def message_id_for(key: str) -> str:
    return "SB" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@hookimpl
def register_providers(settings):
    return [SandboxProvider(settings["SECRET_KEY"])]
