"""Redirect benchmark: branded link clicks per second, against a bare Flask redirect.

    .venv/bin/python bench/redirect.py [--links 10000] [--clicks 20000] [--databases sqlite,postgres]

In one process through Flask's test client (the app's own cost, no network): each click
looks the code up, records the click (user agent, HMAC of the IP) and answers 302 with the
UTM-tagged destination. Two kinds of code: a flow text's own link, and a bulk send's link
plus the recipient's part (found through the phone HMAC and the message). The floor is a
Flask route answering the same 302 with no database. Every click is committed, as in
production.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, redirect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402

from core.flows import links  # noqa: E402

AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"
DESTINATION = "https://bloomandbranch.example/spring?utm_source=sms&utm_medium=sms"


def floor(clicks: int) -> float:
    app = Flask("floor")
    app.add_url_rule("/l/<code>", "follow", lambda code: redirect(DESTINATION, code=302))
    client = app.test_client()
    started = time.perf_counter()
    for n in range(clicks):
        client.get(f"/l/code{n % 1000:07d}", headers={"User-Agent": AGENT})
    return clicks / (time.perf_counter() - started)


def insert_floor(engine: sa.Engine, link_id: int, clicks: int) -> float:
    """A bare Flask redirect that first commits one row to the same click table, on the same
    engine, with the same durability (SQLite ``synchronous=NORMAL``): the least a recorded
    click can cost."""
    app = Flask("insert_floor")
    sqlite = engine.dialect.name == "sqlite"
    insert = sa.text("INSERT INTO click (link_id, clicked_at, user_agent, ip_hash) "
                     "VALUES (:link, :at, :agent, :ip)")

    def follow(code):
        with engine.connect() as connection:
            if sqlite:  # before the engine's BEGIN, as the app's click does
                connection.connection.dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(insert, {"link": link_id, "at": datetime.now(UTC),
                                        "agent": AGENT, "ip": "0" * 64})
            connection.commit()
        return redirect(DESTINATION, code=302)

    app.add_url_rule("/l/<code>", "follow", follow)
    client = app.test_client()
    started = time.perf_counter()
    for n in range(clicks):
        response = client.get(f"/l/code{n % 1000:07d}", headers={"User-Agent": AGENT})
        assert response.status_code == 302
    rate = clicks / (time.perf_counter() - started)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM click"))
    return rate


def run(kind: str, count: int, clicks: int, base: float) -> None:
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app = app_for(engine, instance)
        own, shared = populate(engine, count)
        with engine.connect() as connection:
            link_id = connection.scalar(sa.text("SELECT id FROM link WHERE code = 'SendCode'"))
        stored = insert_floor(engine, link_id, clicks)
        print(f"{kind:9} floor: a redirect plus one committed INSERT {stored:8,.0f}/s")
        for label, codes in (("flow text's own link", own), ("bulk send + recipient", shared)):
            client = app.test_client()
            rng = random.Random(3)
            started = time.perf_counter()
            for _ in range(clicks):
                response = client.get(f"/l/{rng.choice(codes)}", headers={"User-Agent": AGENT})
                assert response.status_code == 302
            rate = clicks / (time.perf_counter() - started)
            with engine.begin() as connection:
                recorded = connection.scalar(sa.text(
                    "SELECT count(*) FROM click WHERE contact_id IS NOT NULL"))
                connection.execute(sa.text("DELETE FROM click"))
            print(f"{kind:9} {label:22} {rate:8,.0f} clicks/s ({recorded:,} recorded with "
                  f"their recipient) | {stored / rate:4.1f}x a redirect + INSERT's time | "
                  f"{base / rate:4.1f}x a bare redirect's ({base:,.0f}/s)")


def populate(engine: sa.Engine, count: int) -> tuple[list[str], list[str]]:
    """``count`` contacts, each with a flow text that has its own link and a bulk send's text;
    returns the codes of both kinds."""
    now = datetime.now(UTC)
    contacts = [{"id": n, "phone": f"+1212{n:07d}",
                 "phone_hmac": hashlib.sha256(str(n).encode()).hexdigest(), "tags": "[]",
                 "attributes": "{}", "t": now} for n in range(1, count + 1)]
    own = [links.new_code() for _ in contacts]
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO contact (id, phone, phone_hmac, tags, attributes, created_at) "
            "VALUES (:id, :phone, :phone_hmac, :tags, :attributes, :t)"), contacts)
        connection.execute(sa.text(
            "INSERT INTO link (code, destination, created_at) VALUES ('SendCode', :d, :t)"),
            {"d": DESTINATION, "t": now})
        shared = connection.scalar(sa.text("SELECT id FROM link WHERE code = 'SendCode'"))
        connection.execute(sa.text(
            "INSERT INTO message (id, direction, contact_id, phone, body, status, block_reasons, "
            "segments, encoding, link_id, created_at, updated_at) VALUES (:id, 'out', :id, "
            ":phone, 'text', 'delivered', '[]', 1, 'GSM-7', :link, :t, :t)"),
            [{"id": c["id"], "phone": c["phone"], "link": shared, "t": now} for c in contacts])
        connection.execute(sa.text(
            "INSERT INTO message (id, direction, contact_id, phone, body, status, block_reasons, "
            "segments, encoding, created_at, updated_at) VALUES (:id, 'out', :c, :phone, "
            "'text', 'delivered', '[]', 1, 'GSM-7', :t, :t)"),
            [{"id": count + c["id"], "c": c["id"], "phone": c["phone"], "t": now}
             for c in contacts])
        connection.execute(sa.text(
            "INSERT INTO link (code, destination, message_id, contact_id, created_at) "
            "VALUES (:code, :d, :m, :c, :t)"),
            [{"code": code, "d": DESTINATION, "m": count + c["id"], "c": c["id"], "t": now}
             for code, c in zip(own, contacts, strict=True)])
        connection.execute(sa.text("ANALYZE"))
    return own, ["SendCode" + c["phone_hmac"][:links.RECIPIENT_CHARS] for c in contacts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--clicks", type=int, default=20_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    base = floor(args.clicks)
    print(f"redirect benchmark: {args.clicks:,} clicks over {args.links:,} links")
    for kind in args.databases.split(","):
        run(kind.strip(), args.links, args.clicks, base)


if __name__ == "__main__":
    main()
