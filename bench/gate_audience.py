"""Gate benchmark: one marketing audience over N contacts, against a bare SELECT of the same rows.

    .venv/bin/python bench/gate_audience.py [--contacts 1000000] [--databases sqlite,postgres]

Prints, per database, the best of 3 runs of (a) the floor: SELECT id, phone, timezone FROM
contact, fetched in full, and (b) the gate's set-based audience (opt-in for marketing, not
erased, not suppressed), and their ratio. Target: at most 3x the floor.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _db import database  # noqa: E402

from core.consent.suppression import phone_hmac  # noqa: E402
from core.gate.audience import eligible  # noqa: E402
from core.location import locate  # noqa: E402

KEY = "bench-suppression-key"
# Real area codes across the country, so numbers are valid and time zones and states vary.
AREAS = ("201", "212", "213", "305", "310", "312", "404", "415", "503", "512", "602", "617",
         "646", "702", "713", "718", "720", "773", "818", "917")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def populate(engine: sa.Engine, count: int) -> int:
    """N contacts: 70% opted in to marketing, 10% opted out, 5% of numbers suppressed."""
    rng = random.Random(1)
    with engine.begin() as connection:
        marketing = connection.scalar(sa.text("SELECT id FROM message_type WHERE slug = 'marketing'"))
        if marketing is None:
            connection.execute(sa.text("INSERT INTO message_type (slug, name, requires_opt_in, "
                                       "quiet_hours_exempt) VALUES ('marketing', 'Marketing', "
                                       "true, false)"))
            marketing = connection.scalar(sa.text("SELECT id FROM message_type WHERE slug = 'marketing'"))
        connection.execute(sa.text(
            "INSERT INTO contact (id, phone, phone_hmac, timezone, tags, attributes, created_at) "
            "VALUES (1, '+12015550000', 'x', 'America/New_York', '[]', '{}', :t)"), {"t": T0})
        connection.execute(sa.text(
            "INSERT INTO consent_event (id, seq, contact_id, action, source, occurred_at, "
            "recorded_at, actor, personal_hash, prev_hash, hash) VALUES (1, 1, 1, 'opt_in', "
            "'web_form', :t, :t, 'bench', 'p', 'q', 'h')"), {"t": T0})
    chunk = 50_000
    for start in range(2, count + 1, chunk):
        ids = range(start, min(start + chunk, count + 1))
        contacts, consents, suppressions = [], [], []
        for contact_id in ids:
            exchange = 200 + contact_id // 10_000 % 700
            phone = f"+1{AREAS[contact_id % len(AREAS)]}{exchange:03d}{contact_id % 10_000:04d}"
            digest = phone_hmac(KEY, phone)
            place = locate(phone)  # what saving the contact would store (remembered per prefix)
            contacts.append({"id": contact_id, "phone": phone, "phone_hmac": digest,
                             "state": place.state, "timezone": place.timezone, "tags": "[]",
                             "attributes": "{}", "created_at": T0})
            roll = rng.random()
            if roll < 0.8:
                consents.append({"contact_id": contact_id, "message_type_id": marketing,
                                 "state": "opted_in" if roll < 0.7 else "opted_out",
                                 "since": T0, "last_event_id": 1})
            if rng.random() < 0.05:
                suppressions.append({"phone_hmac": digest, "reason": "opt_out",
                                     "source": "keyword", "since": T0, "created_at": T0})
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO contact (id, phone, phone_hmac, state, timezone, tags, attributes, "
                "created_at) VALUES (:id, :phone, :phone_hmac, :state, :timezone, :tags, "
                ":attributes, :created_at)"), contacts)
            connection.execute(sa.text(
                "INSERT INTO consent (contact_id, message_type_id, state, since, last_event_id) "
                "VALUES (:contact_id, :message_type_id, :state, :since, :last_event_id)"), consents)
            if suppressions:
                connection.execute(sa.text(
                    "INSERT INTO suppression (phone_hmac, reason, source, since, created_at) "
                    "VALUES (:phone_hmac, :reason, :source, :since, :created_at)"), suppressions)
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    return marketing


def best_of(engine: sa.Engine, statement, runs: int = 3) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(runs):
        with engine.connect() as connection:
            started = time.perf_counter()
            rows = len(connection.execute(statement).all())
            best = min(best, time.perf_counter() - started)
    return best, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"gate audience benchmark: {args.contacts:,} contacts, marketing consent")
    for kind in args.databases.split(","):
        with database(kind) as engine:
            started = time.perf_counter()
            marketing = populate(engine, args.contacts)
            setup = time.perf_counter() - started
            floor, all_rows = best_of(engine, sa.text("SELECT id, phone, timezone FROM contact"))
            gate, eligible_rows = best_of(engine, eligible(marketing))
            print(f"{kind:9} setup {setup:6.1f} s | floor SELECT {all_rows:,} rows {floor:6.3f} s | "
                  f"audience {eligible_rows:,} rows {gate:6.3f} s | ratio {gate / floor:4.2f}x "
                  f"(target <= 3x)")


if __name__ == "__main__":
    main()
