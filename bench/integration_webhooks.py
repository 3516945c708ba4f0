"""Integration webhook benchmark: deliveries accepted per second under gunicorn, against a
bare Flask POST that only stores the body, and the time from a delivery to its text queued.

    .venv/bin/python bench/integration_webhooks.py [--deliveries 2000] [--clients 8]
                                                   [--databases sqlite,postgres]

Needs the Shopify and Calendly plugins installed (``scripts/install.sh`` installs them).

1. Accepted per second: gunicorn (2 workers, 4 threads each) serves ``wsgi:app`` with Shopify
   connected; ``--clients`` threads POST signed ``orders/create`` deliveries, each with its
   own ``X-Shopify-Event-Id``. The intake stores each delivery, verifies it and queues its
   mapping (the queue is a SQLite file no worker reads, so this is the intake alone). The
   floor is a bare Flask app under the same gunicorn whose POST inserts the body into a table
   of the same database and commits.
2. Delivery to text queued: in one process with the queue running tasks at once, a signed
   Calendly ``invitee.created`` is posted and the confirmation text is in the outbox when the
   answer comes back; the time is the POST's, median and 95th percentile over 200 bookings.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402

SECRET = "bench-shop-secret"
SHOP = "bench.myshopify.com"
KEY = "bench-calendly-key"

FLOOR_APP = textwrap.dedent('''
    import os
    import sqlalchemy as sa
    from flask import Flask, request
    engine = sa.create_engine(os.environ["BENCH_DB"])
    app = Flask("floor")

    @app.post("/hooks/integrations/shopify/events")
    def store():
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO bench_floor (body) VALUES (:b)"),
                               {"b": request.get_data()})
        return {"status": 200}
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def order(n: int) -> bytes:
    return json.dumps({"id": 10_000 + n, "name": f"#{n}", "total_price": "42.00",
                       "created_at": datetime.now(UTC).isoformat(), "checkout_id": 50_000 + n,
                       "customer": {"id": n, "first_name": "Ana",
                                    "phone": f"+1415{5550000 + n % 10_000:07d}"},
                       "line_items": [{"title": "Roses", "quantity": 1, "price": "42.00"}]}
                      ).encode()


def shopify_headers(body: bytes, n: int) -> dict[str, str]:
    return {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Event-Id": f"bench-{n}", "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": base64.b64encode(
                hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()}


def gunicorn(module: str, env: dict[str, str], cwd: str, workers: int = 2,
             threads: int = 4) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "--threads", str(threads), "-b",
         f"127.0.0.1:{port}", "--log-level", "warning", module],
        cwd=cwd, env={**os.environ, **env, "PYTHONPATH": f"{cwd}:{ROOT}"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn {module} did not start")


def hammer(url: str, count: int, clients: int) -> float:
    bodies = [order(n) for n in range(count)]
    done = [0]
    lock = threading.Lock()

    def client(part: range) -> None:
        with httpx.Client(timeout=30) as http:
            for n in part:
                answer = http.post(url + "/hooks/integrations/shopify/events",
                                   content=bodies[n], headers=shopify_headers(bodies[n], n))
                assert answer.status_code == 200, answer.text
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=client, args=(range(i, count, clients),))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done[0] == count
    return count / (time.perf_counter() - started)


def accepted(kind: str, count: int, clients: int) -> None:
    from core.db import db
    from core.integrations import connections

    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        url_text = engine.url.render_as_string(hide_password=False)
        app = app_for(engine, instance, LOAD_ENTRYPOINTS=True, PLUGINS="shopify")
        with app.app_context():
            connections.save(db.session, app, app.extensions["consentdesk"].integrations[
                "shopify"], {"shop_domain": SHOP, "client_secret": SECRET}, "bench")
            db.session.commit()
        ddl = {"sqlite": "CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body BLOB)",
               "postgres": "CREATE TABLE bench_floor (id SERIAL PRIMARY KEY, body BYTEA)"}
        with engine.begin() as connection:
            connection.execute(sa.text(ddl[kind]))
        # The same instance folder: gunicorn's app reads the secrets app_for generated.
        env = {"CONSENTDESK_DATABASE_URL": url_text, "CONSENTDESK_INSTANCE_PATH": instance,
               "CONSENTDESK_PLUGINS": "shopify", "BENCH_DB": url_text}
        Path(instance, "floor_app.py").write_text(FLOOR_APP)
        server, url = gunicorn("floor_app:app", env, instance)
        try:
            floor = hammer(url, count, clients)
        finally:
            server.terminate()
            server.wait()
        server, url = gunicorn("wsgi:app", env, str(ROOT))
        try:
            rate = hammer(url, count, clients)
        finally:
            server.terminate()
            server.wait()
        with engine.connect() as connection:
            stored = connection.scalar(sa.text(
                "SELECT count(*) FROM integration_delivery WHERE status = 'queued'"))
        print(f"{kind:9} accepted {rate:7,.0f} deliveries/s ({stored:,} stored and queued) | "
              f"floor {floor:7,.0f} stored bodies/s | {floor / rate:4.1f}x the floor's time")


def to_queued(kind: str, bookings: int = 200) -> None:
    from core.db import db
    from core.flows import seeds
    from core.integrations import connections
    from core.models import Brand, Campaign, Message, Sender

    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app = app_for(engine, instance, LOAD_ENTRYPOINTS=True, PLUGINS="calendly",
                      QUEUE_URL="immediate")
        with app.app_context():
            brand = Brand(legal_name="Bench LLC", public_name="Bench", support_phone="+14155550100")
            campaign = Campaign(brand=brand, name="Bench", use_case="MIXED")
            db.session.add_all([brand, campaign, Sender(address="+14155550142",
                                                        campaign=campaign)])
            db.session.flush()
            seeds.create(db.session, "Appointment confirmation", campaign, enabled=True)
            from core.models import Disclosure

            db.session.add(Disclosure(name="Reminders", text="Bench texts. Reply STOP."))
            connections.save(db.session, app, app.extensions["consentdesk"].integrations[
                "calendly"], {"signing_key": KEY, "reminder_consent": True,
                              "disclosure": "Reminders"}, "bench")
            db.session.commit()
        client = app.test_client()
        times = []
        for n in range(bookings):
            body = json.dumps({"event": "invitee.created", "payload": {
                "uri": f"https://api.calendly.com/scheduled_events/B{n}/invitees/{n}",
                "text_reminder_number": f"+1212555{n:04d}", "timezone": "America/New_York",
                "created_at": datetime.now(UTC).isoformat(),
                "scheduled_event": {"uri": f"https://api.calendly.com/scheduled_events/B{n}",
                                    "name": "Consultation", "start_time":
                                    (datetime.now(UTC) + timedelta(days=2)).isoformat()}}}
                              ).encode()
            t = str(int(time.time()))
            v1 = hmac.new(KEY.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            answer = client.post("/hooks/integrations/calendly/events", data=body,
                                 headers={"Calendly-Webhook-Signature": f"t={t},v1={v1}"})
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200
        with app.app_context():
            texts = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
                Message.direction == "out"))
        assert texts == bookings, texts
        times.sort()
        print(f"{kind:9} delivery to confirmation queued: median "
              f"{statistics.median(times) * 1000:5.1f} ms, p95 "
              f"{times[int(len(times) * 0.95)] * 1000:5.1f} ms ({texts} texts)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"integration webhooks: {args.deliveries:,} deliveries, {args.clients} clients, "
          "gunicorn -w 2 --threads 4")
    for kind in args.databases.split(","):
        accepted(kind.strip(), args.deliveries, args.clients)
        to_queued(kind.strip())


if __name__ == "__main__":
    main()
