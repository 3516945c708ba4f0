"""Clicks and inbound texts under gunicorn (4 workers), each beside a bare app doing the least
the same request must do, on the same database.

    .venv/bin/python bench/served.py [--requests 4000] [--clients 8] [--databases sqlite,postgres]

1. Branded link clicks: ``--clients`` threads follow a flow text's own links (``GET /l/<code>``,
   each click recorded). The floor is a bare Flask app under the same gunicorn that commits
   one row to the same click table and answers the same 302.
2. Inbound texts: signed sandbox webhooks, one per contact, a mix of STOP, HELP, START (from
   people who had stopped) and free text. Each is verified, stored, read by the keyword
   engine and answered (the STOP/HELP/START reply is queued; no worker sends it). The floor is
   a bare Flask POST that stores the body. Afterwards every answered request must have left
   exactly one inbound message, each STOP one consent event citing it (every type) and each
   START one per type it restores (two), HELP and free text none.

Requests/s, and the median and 99th percentile of each request's time as the client saw it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402
from integration_webhooks import gunicorn  # noqa: E402
from redirect import AGENT, DESTINATION, populate  # noqa: E402

WORKERS = 4
SENDER = "+14155550142"
KINDS = ("STOP", "HELP", "START", "Can I move my delivery to Friday afternoon?")

FLOOR_APP = textwrap.dedent('''
    import os
    from datetime import UTC, datetime
    import sqlalchemy as sa
    from flask import Flask, redirect, request
    engine = sa.create_engine(os.environ["BENCH_DB"])
    sqlite = engine.dialect.name == "sqlite"
    app = Flask("floor")

    @app.get("/")
    def up():
        return "up"

    @app.get("/l/<code>")
    def follow(code):
        with engine.connect() as connection:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(sa.text(
                "INSERT INTO click (link_id, clicked_at, user_agent, ip_hash) "
                "VALUES (:link, :at, :agent, :ip)"), {"link": int(os.environ["BENCH_LINK"]),
                "at": datetime.now(UTC), "agent": request.headers.get("User-Agent", ""),
                "ip": "0" * 64})
            connection.commit()
        return redirect(os.environ["BENCH_DESTINATION"], code=302)

    @app.post("/hooks/providers/sandbox/inbound")
    def store():
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO bench_floor (body) VALUES (:b)"),
                               {"b": request.get_data()})
        return "", 200
''')


def hammer(url: str, calls: list, clients: int, expect: int) -> tuple[float, list[float]]:
    """Run ``calls`` (method, path, body, headers) from ``clients`` threads; the rate and
    every request's time in ms."""
    times: list[float] = []
    lock = threading.Lock()

    def client(part: range) -> None:
        mine = []
        with httpx.Client(timeout=60, follow_redirects=False) as http:
            for n in part:
                method, path, body, headers = calls[n]
                started = time.perf_counter()
                answer = http.request(method, url + path, content=body, headers=headers)
                mine.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == expect, (answer.status_code, answer.text[:200])
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(range(i, len(calls), clients),))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(times) == len(calls)
    return len(calls) / (time.perf_counter() - started), times


def p(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100)[int(q) - 1] if len(times) > 1 else times[0]


def serve(module: str, env: dict, cwd: str, url_calls: list, clients: int, expect: int):
    server, url = gunicorn(module, env, cwd, workers=WORKERS, threads=1)
    try:
        return hammer(url, url_calls, clients, expect)
    finally:
        server.terminate()
        server.wait()


def line(kind: str, what: str, rate: float, times: list[float], floor: float,
         floor_times: list[float]) -> None:
    print(f"{kind:9} {what:14} {rate:7,.0f}/s  p50 {p(times, 50):6.1f} ms  p99 "
          f"{p(times, 99):6.1f} ms | floor {floor:7,.0f}/s (p99 {p(floor_times, 99):5.1f} ms) | "
          f"{floor / rate:4.1f}x the floor's time")


def clicks(kind: str, count: int, clients: int) -> None:
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app_for(engine, instance)
        own, _shared = populate(engine, max(count // 2, 100))
        with engine.connect() as connection:
            link = connection.scalar(sa.text("SELECT id FROM link WHERE code = 'SendCode'"))
        url_text = engine.url.render_as_string(hide_password=False)
        env = {"CONSENTDESK_DATABASE_URL": url_text, "CONSENTDESK_INSTANCE_PATH": instance,
               "BENCH_DB": url_text, "BENCH_LINK": str(link),
               "BENCH_DESTINATION": DESTINATION}
        Path(instance, "floor_app.py").write_text(FLOOR_APP)
        calls = [("GET", f"/l/{own[n % len(own)]}", None, {"User-Agent": AGENT})
                 for n in range(count)]
        floor, floor_times = serve("floor_app:app", env, instance, calls, clients, 302)
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM click"))
        rate, times = serve("wsgi:app", env, str(ROOT), calls, clients, 302)
        with engine.connect() as connection:
            recorded = connection.scalar(sa.text("SELECT count(*) FROM click"))
        assert recorded == count, (recorded, count)
        line(kind, "clicks", rate, times, floor, floor_times)


def inbound(kind: str, count: int, clients: int) -> None:
    from core.builtin.sandbox import SandboxProvider  # noqa: F401 - documents the signer
    from core.consent.imports import Importer
    from core.db import db
    from core.models import Brand, Campaign, Disclosure, Sender

    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app = app_for(engine, instance)
        phones = [f"+1415{2000000 + n}" for n in range(count)]
        with app.app_context():
            brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                          support_email="help@bloomandbranch.example")
            campaign = Campaign(brand=brand, name="Orders", use_case="MIXED",
                                opt_in_confirmation="Bloom & Branch: you're subscribed to "
                                "offers. Up to 4 msgs/mo. Reply STOP to cancel.")
            db.session.add_all([brand, campaign, Sender(address=SENDER, campaign=campaign),
                                Disclosure(name="Checkout", text="Order and offer texts from "
                                           "Bloom & Branch. Reply STOP to cancel.")])
            db.session.flush()
            rows = io.StringIO()
            writer = csv.writer(rows)
            writer.writerow(("phone", "message_type", "action", "occurred_at", "source",
                             "disclosure"))
            for n, phone in enumerate(phones):
                for slug in ("transactional", "marketing"):
                    writer.writerow((phone, slug, "opt_in", "2026-11-01T10:00:00+00:00",
                                     "web_form", "Checkout"))
                if KINDS[n % 4] == "START":  # people who had stopped, texting START
                    writer.writerow((phone, "all", "opt_out", "2026-11-02T10:00:00+00:00",
                                     "keyword", ""))
            rows.seek(0)
            report = Importer(db.session, app.extensions["consentdesk"].consent_sources,
                              app.config["SUPPRESSION_KEY"], "bench").run(rows)
            assert not report.errors, report.errors[:3]
            provider = app.extensions["consentdesk"].providers["sandbox"]
            calls = []
            for n, phone in enumerate(phones):
                body = json.dumps({"from": phone, "to": SENDER, "body": KINDS[n % 4],
                                   "id": f"SM-bench-{n}"}).encode()
                calls.append(("POST", "/hooks/providers/sandbox/inbound", body,
                              provider.signed_headers(body)))
        url_text = engine.url.render_as_string(hide_password=False)
        ddl = {"sqlite": "CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body BLOB)",
               "postgres": "CREATE TABLE bench_floor (id SERIAL PRIMARY KEY, body BYTEA)"}
        with engine.begin() as connection:
            connection.execute(sa.text(ddl[kind]))
        env = {"CONSENTDESK_DATABASE_URL": url_text, "CONSENTDESK_INSTANCE_PATH": instance,
               "BENCH_DB": url_text}
        Path(instance, "floor_app.py").write_text(FLOOR_APP)
        floor, floor_times = serve("floor_app:app", env, instance, calls, clients, 200)
        rate, times = serve("wsgi:app", env, str(ROOT), calls, clients, 200)
        line(kind, "inbound texts", rate, times, floor, floor_times)
        prove(engine, count)


def prove(engine: sa.Engine, count: int) -> None:
    """Every answered request left one inbound message; each STOP and START one consent
    event citing it; HELP and free text none."""
    with engine.connect() as connection:
        messages = dict(connection.execute(sa.text(
            "SELECT provider_message_id, count(*) FROM message WHERE direction = 'in' "
            "GROUP BY provider_message_id")).all())
        events = dict(connection.execute(sa.text(
            "SELECT provider_message_id, count(*) FROM consent_event WHERE provider_message_id "
            "LIKE 'SM-bench-%' GROUP BY provider_message_id")).all())
    wrong = []
    for n in range(count):
        key = f"SM-bench-{n}"
        # STOP: one revocation of every type; START: one opt-in per type it restores (two).
        want = {"STOP": 1, "START": 2}.get(KINDS[n % 4], 0)
        if messages.get(key) != 1 or events.get(key, 0) != want:
            wrong.append((key, KINDS[n % 4], messages.get(key), events.get(key, 0)))
    print(f"          proof: {count - len(wrong):,} of {count:,} answered requests left exactly "
          f"one inbound message and the consent events their keyword calls for"
          + (f"; wrong: {wrong[:5]}" if wrong else ""))
    assert not wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{args.requests:,} requests from {args.clients} client threads, gunicorn -w {WORKERS}")
    for kind in args.databases.split(","):
        clicks(kind, args.requests, args.clients)
        inbound(kind, args.requests, args.clients)


if __name__ == "__main__":
    main()
