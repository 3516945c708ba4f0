"""Helpers for plugin test suites: an app with a fresh database, a brand, a sender, a consenting
contact, a queued text. Provider plugins (and the ``new-plugin`` scaffold) build on these.

Call them inside an app context. They commit, as a real request would, so the dispatcher
(which opens its own transactions) sees the rows; on SQLite, commit or roll back your own
session before calling the dispatcher yourself, or it waits for your write lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from core.app import create_app
from core.consent import app_ledger
from core.db import db
from core.gate.check import Outgoing, gate_for
from core.models import Brand, Campaign, Contact, Disclosure, Message, MessageType, Sender
from core.sending import outbox
from core.upgrade import upgrade_and_sync

BODY = "Bloom & Branch: your order shipped. Reply STOP to opt out."
OPTED_IN_AT = datetime(2026, 1, 5, tzinfo=UTC)


def make_app(instance: Path, plugins: str, **config: Any) -> Flask:
    """An app loading only the entry points in ``plugins``, migrated, queue running at once."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "PLUGINS": plugins,
                      "QUEUE_URL": "immediate", "WTF_CSRF_ENABLED": False, **config})
    with app.app_context():
        upgrade_and_sync(app)
    return app


def add_sender(address: str, provider: str) -> Sender:
    session = db.session
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
    campaign = Campaign(brand=brand, name="Orders", use_case="MIXED")
    sender = Sender(address=address, campaign=campaign, provider=provider)
    session.add_all([brand, campaign, sender])
    session.commit()
    return sender


def opted_in(phone: str, slugs: tuple[str, ...] = ("transactional", "support")) -> Contact:
    """A contact who opted in to ``slugs`` on a web form (committed)."""
    session = db.session
    contact = Contact(phone=phone)
    disclosure = Disclosure(name=f"Checkout {phone}", text="Order texts. Reply STOP to cancel.")
    session.add_all([contact, disclosure])
    session.flush()
    ledger = app_ledger(current_app, session)
    for slug in slugs:
        kind = session.scalars(sa.select(MessageType).filter_by(slug=slug)).one()
        ledger.opt_in(contact, kind, source="web_form", disclosure=disclosure,
                      actor="checkout", occurred_at=OPTED_IN_AT)
    session.commit()
    return contact


def queue_text(phone: str, key: str = "order-1", body: str = BODY) -> Message:
    """Queue a transactional text to ``phone`` (opted in on a web form if new); the commit
    hands it to the queue.

    Returns the row as it stands after the queue ran (``immediate``: already dispatched)."""
    session = db.session
    contact = session.scalars(sa.select(Contact).filter_by(phone=phone)).one_or_none()
    contact = contact or opted_in(phone)
    kind = session.scalars(sa.select(MessageType).filter_by(slug="transactional")).one()
    sender = session.scalars(sa.select(Sender).order_by(Sender.id)).first()
    message = outbox.enqueue(session, gate_for(current_app),
                             Outgoing(contact, kind, body, sender, None), key=key,
                             at=datetime.now(UTC))
    message_id = message.id
    session.commit()
    return reload(message_id)


def reload(message_id: int) -> Message:
    """The message as the database has it now (detached), without keeping a transaction open."""
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    db.session.expunge(message)  # a detached copy keeps its values after the commit
    db.session.commit()  # end the read: SQLite's write lock must be free for the dispatcher
    return message


class VendorServer:
    """A local HTTP server standing in for a vendor's API in tests: subclass it and define
    ``handle(method, path, headers, body) -> (status, payload)``, or ``(status, payload,
    headers)`` to add response headers (a 429's Retry-After); the payload is sent as JSON.

    Use it as a context manager; ``url`` is its base address on 127.0.0.1. A client that gives
    up waiting (a timeout test) is not an error."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                vendor._answer(self, "GET")

            def do_POST(self) -> None:
                vendor._answer(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple:
        raise NotImplementedError

    def _answer(self, handler: Any, method: str) -> None:
        import json

        length = int(handler.headers.get("Content-Length") or 0)
        status, payload, *extra = self.handle(method, handler.path, handler.headers,
                                              handler.rfile.read(length))
        body = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            for name, value in (extra[0] if extra else {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def __enter__(self) -> VendorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def last_delivery() -> Any:
    """The newest integration delivery, read in a fresh transaction (the intake and the
    queue wrote it in theirs; on SQLite the test's own open read would hold the lock)."""
    from core.models import IntegrationDelivery

    db.session.rollback()
    return db.session.scalars(sa.select(IntegrationDelivery)
                              .order_by(IntegrationDelivery.id.desc())).first()


def outbound_texts() -> list[Message]:
    """Every outbound text, oldest first, read in a fresh transaction."""
    db.session.rollback()
    return list(db.session.scalars(sa.select(Message).where(Message.direction == "out")
                                   .order_by(Message.id)))
