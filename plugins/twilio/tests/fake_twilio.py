"""A local HTTP server that answers like Twilio's documented Messages API (2010-04-01).

POST .../Messages.json creates a message (201) or answers an error body like Twilio's;
GET .../Messages.json lists them, filtered by To and From. Magic numbers: +15005550001
is invalid (400, 21211), +15005550004 has opted out (400, 21610), +15005550009 gets a
503, +15005550029 a 429 (20429, too many concurrent requests), and +15005550011 is accepted but answered too late (the client times out).
"""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs, urlparse

from core.testing import VendorServer

SLOW = "+15005550011"
ERRORS = {"+15005550001": (400, 21211, "The 'To' number is not a valid phone number."),
          "+15005550004": (400, 21610, "Attempt to send to unsubscribed recipient"),
          "+15005550009": (503, 20503, "Service unavailable"),
          "+15005550029": (429, 20429, "Too Many Requests")}


class FakeTwilio(VendorServer):
    def __init__(self, account_sid: str, auth_token: str, slow_seconds: float = 2.0):
        super().__init__()
        self.account_sid, self.auth_token, self.slow_seconds = account_sid, auth_token, slow_seconds
        self.messages: list[dict] = []

    def _path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def handle(self, method, path, headers, body):
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        if urlparse(path).path != self._path():
            return _error(404, 20404, "not found")
        if method == "GET":
            return 200, self._list(path)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        to = form.get("To", "")
        if to in ERRORS:
            return _error(*ERRORS[to])
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message = {
            "sid": "SM" + uuid.uuid4().hex, "account_sid": self.account_sid, "to": to,
            "from": form.get("From"), "body": form.get("Body"), "status": "queued",
            "direction": "outbound-api", "num_segments": "1", "error_code": None,
            "date_created": now, "date_sent": None, "date_updated": now,
            "status_callback": form.get("StatusCallback"),
            "uri": f"{self._path()[:-5]}/{uuid.uuid4().hex}.json",
        }
        self.messages.append(message)
        if to == SLOW:
            time.sleep(self.slow_seconds)
        return 201, message

    def _list(self, path: str) -> dict:
        query = {k: v[0] for k, v in parse_qs(urlparse(path).query).items()}
        found = [m for m in reversed(self.messages)
                 if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])]
        return {"messages": found, "page": 0, "page_size": 50, "first_page_uri": self._path(),
                "next_page_uri": None, "previous_page_uri": None, "uri": self._path()}

    def sent_to(self, number: str) -> list[dict]:
        return [m for m in self.messages if m["to"] == number]


def _error(status: int, code: int, message: str) -> tuple[int, dict]:
    return status, {"code": code, "message": message, "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}
