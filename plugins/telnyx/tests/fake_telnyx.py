"""A local server answering like Telnyx's Messaging API v2 (POST /v2/messages), and a signer
for webhooks the way Telnyx signs them: Ed25519 over ``timestamp|body``.

Magic numbers: +15005550004 has texted STOP (400, 40300), +15005550009 gets a 503,
+15005550029 a 429 (10011, "Too many requests") whose x-ratelimit-reset says 7 seconds, as
Telnyx's rate-limiting page documents, and +15005550011 is accepted but answered too late
(the client times out).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime

from nacl.signing import SigningKey

from core.testing import VendorServer

SLOW = "+15005550011"
ERRORS = {"+15005550004": (400, "40300", "Blocked due to STOP message"),
          "+15005550009": (503, "10007", "Unexpected error")}
THROTTLED = "+15005550029"


class FakeTelnyx(VendorServer):
    def __init__(self, api_key: str, slow_seconds: float = 2.0):
        super().__init__()
        self.url += "/v2"
        self.api_key, self.slow_seconds = api_key, slow_seconds
        self.messages: list[dict] = []

    def handle(self, method, path, headers, body):
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"errors": [{"code": "10009", "title": "Authentication failed"}]}
        if (method, path) != ("POST", "/v2/messages"):
            return 404, {"errors": [{"code": "10005", "title": "Not found"}]}
        request = json.loads(body or b"{}")
        to = request.get("to")
        if to == THROTTLED:
            return 429, {"errors": [{"code": "10011", "title": "Too many requests", "detail":
                         "You have exceeded the maximum number of allowed requests."}]}, {
                "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "7"}
        if to in ERRORS:
            status, code, title = ERRORS[to]
            return status, {"errors": [{"code": code, "title": title, "detail": title}]}
        message = {"record_type": "message", "id": str(uuid.uuid4()), "type": "SMS",
                   "direction": "outbound", "text": request.get("text"),
                   "from": {"phone_number": request.get("from")},
                   "to": [{"phone_number": to, "status": "queued"}],
                   "webhook_url": request.get("webhook_url")}
        self.messages.append(message)
        if to == SLOW:
            time.sleep(self.slow_seconds)
        return 200, {"data": message}

    def sent_to(self, number: str) -> list[dict]:
        return [m for m in self.messages if m["to"][0]["phone_number"] == number]


class Signer:
    """Signs webhook bodies as Telnyx does, with a key pair made for the test."""

    def __init__(self):
        self.key = SigningKey.generate()
        self.public_key = base64.b64encode(bytes(self.key.verify_key)).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = self.key.sign(f"{timestamp}|".encode() + body).signature
        return {"telnyx-signature-ed25519": base64.b64encode(signed).decode(),
                "telnyx-timestamp": str(timestamp), "Content-Type": "application/json"}


def now() -> str:
    """Telnyx's timestamp format, for this instant: a STOP's confirmation may only go out within
    five minutes of it, so webhooks in the tests are as fresh as real ones."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def event(event_type: str, payload: dict) -> bytes:
    return json.dumps({"data": {"event_type": event_type, "id": str(uuid.uuid4()),
                                "occurred_at": now(),
                                "record_type": "event", "payload": payload},
                       "meta": {"attempt": 1, "delivered_to": "https://sms.bloom.example"}}).encode()
