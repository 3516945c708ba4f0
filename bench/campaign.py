"""Campaign benchmark: a promotional send to a whole audience, against a bare bulk INSERT.

    .venv/bin/python bench/campaign.py [--contacts 1000000] [--databases sqlite,postgres]

Per database: N contacts (70% opted in to marketing, 5% of numbers suppressed), the
ready-made "Promotional campaign" flow with a ``[branded link]``, then

- floor: INSERT of one message row per eligible contact with the driver's ``executemany``
  (the same columns the send writes, constant text), the least any send must write;
- send: ``campaign.send_now``: the audience query (consent, suppression), quiet hours per
  time zone and state, rendering with a unique link each, segment counts, the rows written
  (one ``INSERT ... SELECT``), the ids handed to the queue.

Targets: the send within 10 s on SQLite and within 3x the floor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402
from gate_audience import KEY, populate  # noqa: E402

from core.db import db, stored_instant  # noqa: E402
from core.flows import campaign, seeds  # noqa: E402
from core.models import Brand, Campaign, Flow, Link, Sender  # noqa: E402

AT = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # noon in New York: inside every window


def floor(engine: sa.Engine, contact_ids: list[int], type_id: int, link_id: int) -> float:
    body = "Bloom & Branch: 20% off spring bouquets this weekend. Shop now: " \
           "https://go.bloomandbranch.example/l/AbCdEfGhIjK Reply STOP to opt out."
    sqlite = engine.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    at = stored_instant(AT, sqlite)
    rows = [(c, "+12125550100", type_id, link_id, body, f"floor-{c:010d}", at, at)
            for c in contact_ids]
    started = time.perf_counter()
    with engine.begin() as connection:
        for start in range(0, len(rows), 50_000):
            connection.exec_driver_sql(
                "INSERT INTO message (direction, contact_id, phone, sender_id, message_type_id, "
                "flow_id, campaign_id, link_id, body, status, block_reasons, idempotency_key, "
                "segments, encoding, compliance_reply, attempts, created_at, updated_at) "
                f"VALUES ('out', {marker}, {marker}, 1, {marker}, 1, 1, {marker}, {marker}, "
                f"'queued', '[]', {marker}, 1, 'GSM-7', false, 0, {marker}, {marker})",
                rows[start:start + 50_000])
    elapsed = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM message"))
    vacuum(engine)  # the send starts from a table as clean as the floor's
    return elapsed


def vacuum(engine: sa.Engine) -> None:
    pooled = engine.raw_connection()  # VACUUM runs outside any transaction
    raw = pooled.driver_connection
    try:
        if engine.dialect.name == "sqlite":
            raw.execute("VACUUM")
        else:
            raw.autocommit = True
            raw.execute("VACUUM ANALYZE")
            raw.autocommit = False
    finally:
        pooled.close()


def run(kind: str, contacts: int, at: datetime) -> None:
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app = app_for(engine, instance, SUPPRESSION_KEY=KEY)
        marketing = populate(engine, contacts)
        with app.app_context():
            session = db.session
            brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                          website="https://bloomandbranch.example",
                          link_domain="https://go.bloomandbranch.example")
            found = Campaign(brand=brand, name="Promotions", use_case="MARKETING")
            session.add_all([brand, found, Sender(id=1, address="+14155550142", campaign=found)])
            session.flush()
            flow_id = seeds.create(session, "Promotional campaign", found, enabled=True).id
            placeholder = Link(code="floor000", destination="https://bloomandbranch.example/")
            session.add(placeholder)  # the floor's rows name a link, as the send's do
            session.commit()
            placeholder_id = placeholder.id
            eligible = [row.id for row in session.execute(
                campaign.audiences.audience(session, marketing, None, at))]
            session.commit()
        base = floor(engine, eligible, marketing, placeholder_id)
        with app.app_context():
            flow = db.session.get(Flow, flow_id)
            started = time.perf_counter()
            report = campaign.send_now(db.session, app, flow, "bench", at)
            written = time.perf_counter() - started
            db.session.commit()  # and the ids go to the queue, 500 per task
            elapsed = time.perf_counter() - started
        print(f"{kind:9} audience {report.audience:,} of {contacts:,} contacts | floor INSERT "
              f"{base:6.2f} s | send {elapsed:6.2f} s (commit and queue hand-off "
              f"{elapsed - written:5.2f} s; {report.queued:,} queued, "
              f"{report.deferred:,} deferred) | "
              f"ratio {elapsed / base:4.2f}x (targets: <= 10 s on SQLite, <= 3x)")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--at", type=datetime.fromisoformat, default=AT,
                        help="when the send runs (default: noon in New York, no quiet hours "
                             "anywhere; 2026-11-25T01:30:00+00:00 holds Florida's numbers)")
    args = parser.parse_args()
    print(f"campaign benchmark: promotional send with a branded link, {args.contacts:,} "
          f"contacts, at {args.at.isoformat()}")
    for kind in args.databases.split(","):
        run(kind.strip(), args.contacts, args.at)


if __name__ == "__main__":
    main()
