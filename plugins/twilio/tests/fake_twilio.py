"""A local HTTP server that answers like Twilio's documented Messages API (2010-04-01).

POST .../Messages.json creates a message (201) or answers an error body like Twilio's;
GET .../Messages.json lists them, filtered by To and From. Magic numbers: +15005550001
is invalid (400, 21211), +15005550004 has opted out (400, 21610), +15005550009 gets a
503, and +15005550011 is accepted but answered too late (the client times out).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SLOW = "+15005550011"
ERRORS = {"+15005550001": (400, 21211, "The 'To' number is not a valid phone number."),
          "+15005550004": (400, 21610, "Attempt to send to unsubscribed recipient"),
          "+15005550009": (503, 20503, "Service unavailable")}


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, slow_seconds: float = 2.0):
        self.account_sid, self.auth_token, self.slow_seconds = account_sid, auth_token, slow_seconds
        self.messages: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                server._post(self)

            def do_GET(self):
                server._get(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def _authorised(self, handler) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return handler.headers.get("Authorization") == f"Basic {expected}"

    def _answer(self, handler, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except BrokenPipeError:  # the client gave up waiting (the timeout case)
            pass

    def _error(self, handler, status, code, message):
        self._answer(handler, status, {"code": code, "message": message, "status": status,
                                       "more_info": f"https://www.twilio.com/docs/errors/{code}"})

    def _post(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        self.requests.append(("POST", handler.path, form))
        if not self._authorised(handler):
            return self._error(handler, 401, 20003, "Authenticate")
        if urlparse(handler.path).path != self._path():
            return self._error(handler, 404, 20404, "not found")
        to = form.get("To", "")
        if to in ERRORS:
            return self._error(handler, *ERRORS[to])
        now = datetime.now(UTC)
        message = {
            "sid": "SM" + uuid.uuid4().hex, "account_sid": self.account_sid, "to": to,
            "from": form.get("From"), "body": form.get("Body"), "status": "queued",
            "direction": "outbound-api", "num_segments": "1", "error_code": None,
            "date_created": format_datetime(now, usegmt=True), "date_sent": None,
            "date_updated": format_datetime(now, usegmt=True),
            "status_callback": form.get("StatusCallback"),
            "uri": f"{self._path()[:-5]}/{uuid.uuid4().hex}.json",
        }
        self.messages.append(message)
        if to == SLOW:
            time.sleep(self.slow_seconds)
        self._answer(handler, 201, message)

    def _get(self, handler) -> None:
        self.requests.append(("GET", handler.path, {}))
        if not self._authorised(handler):
            return self._error(handler, 401, 20003, "Authenticate")
        query = {k: v[0] for k, v in parse_qs(urlparse(handler.path).query).items()}
        found = [m for m in reversed(self.messages)
                 if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])]
        self._answer(handler, 200, {
            "messages": found, "page": 0, "page_size": 50, "first_page_uri": self._path(),
            "next_page_uri": None, "previous_page_uri": None, "uri": self._path()})

    def sent_to(self, number: str) -> list[dict]:
        return [m for m in self.messages if m["to"] == number]
