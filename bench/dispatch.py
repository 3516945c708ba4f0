"""Dispatch benchmark: N queued messages through gate and sandbox provider, against a bare UPDATE.

    .venv/bin/python bench/dispatch.py [--messages 100000] [--databases sqlite,postgres]
                                       [--workers 2]

Per database it prints three figures for the same N rows, each as messages per second:

- floor: ``UPDATE message SET status='sent', provider_message_id=...`` by id, in
  transactions of one dispatch batch (500), the least any dispatcher must write;
- in-process: ``dispatch()`` called batch after batch in this process (gate re-check,
  claim, sandbox send, record), no queue;
- workers: ``consentdesk worker`` processes draining the real queue (SqliteHuey on SQLite,
  Redis with PostgreSQL), timed from the first task submitted to the last row sent.

and the ratio of each to the floor. Target: at least 5,000 messages/s on SQLite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402

from core.app import create_app  # noqa: E402
from core.consent.suppression import phone_hmac  # noqa: E402
from core.sending import dispatch as dispatcher  # noqa: E402

BATCH = 500
KEY = "bench-suppression-key"
AREAS = ("212", "415", "305", "512", "646", "718", "917", "310", "213", "617")
BODY = "Bloom & Branch: your order #{n} has shipped. Reply STOP to opt out."
REDIS = "redis://127.0.0.1:6379/14"


def phone(n: int) -> str:
    return f"+1{AREAS[n % len(AREAS)]}{200 + (n // 10_000) % 700:03d}{n % 10_000:04d}"


def populate(engine: sa.Engine, count: int) -> list[int]:
    """``count`` contacts opted in to transactional texts, one queued text each."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        kind = connection.scalar(sa.text("SELECT id FROM message_type WHERE slug='transactional'"))
        connection.execute(sa.text(
            "INSERT INTO sender (id, kind, address, provider, created_at) "
            "VALUES (1, 'long_code', '+14155550142', 'sandbox', :t)"), {"t": now})
        connection.execute(sa.text(  # one real contact and event for the consent rows to cite
            "INSERT INTO contact (id, phone, phone_hmac, timezone, tags, attributes, created_at) "
            "VALUES (0, '+12015550100', 'x', 'America/New_York', '[]', '{}', :t)"), {"t": now})
        connection.execute(sa.text(
            "INSERT INTO consent_event (id, seq, contact_id, action, source, occurred_at, "
            "recorded_at, actor, personal_hash, prev_hash, hash) VALUES (1, 1, 0, 'opt_in', "
            "'web_form', :t, :t, 'bench', 'p', 'q', 'h')"), {"t": now})
    for start in range(1, count + 1, 20_000):
        ids = range(start, min(start + 20_000, count + 1))
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO contact (id, phone, phone_hmac, timezone, tags, attributes, created_at) "
                "VALUES (:id, :phone, :hmac, 'America/New_York', '[]', '{}', :t)"),
                [{"id": i, "phone": phone(i), "hmac": phone_hmac(KEY, phone(i)), "t": now}
                 for i in ids])
            connection.execute(sa.text(
                "INSERT INTO consent (contact_id, message_type_id, state, since, last_event_id) "
                "VALUES (:id, :kind, 'opted_in', :t, 1)"),
                [{"id": i, "kind": kind, "t": now - timedelta(days=30)} for i in ids])
            connection.execute(sa.text(
                "INSERT INTO message (id, direction, contact_id, phone, sender_id, message_type_id, "
                "body, status, block_reasons, idempotency_key, segments, encoding, compliance_reply, "
                "attempts, created_at, updated_at) VALUES (:id, 'out', :id, :phone, 1, :kind, :body, "
                "'queued', '[]', :key, 1, 'GSM-7', false, 0, :t, :t)"),
                [{"id": i, "phone": phone(i), "kind": kind, "body": BODY.format(n=i),
                  "key": f"order-{i}", "t": now} for i in ids])
    return list(range(1, count + 1))


def reset(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE message SET status='queued', provider_message_id=NULL, provider=NULL, "
            "dispatched_at=NULL, attempts=0"))


def floor(engine: sa.Engine, ids: list[int]) -> float:
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        with engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE message SET status='sent', provider_message_id=:p, updated_at=:t "
                "WHERE id=:id"),
                [{"id": i, "p": f"SB{i}", "t": datetime.now(UTC)} for i in ids[start:start + BATCH]])
    return time.perf_counter() - started


def sent(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT count(*) FROM message WHERE status='delivered'"))


def in_process(app, ids: list[int]) -> float:
    started = time.perf_counter()
    with app.app_context():
        for start in range(0, len(ids), BATCH):
            dispatcher.dispatch(app, ids[start:start + BATCH])
    return time.perf_counter() - started


def with_workers(url: str, queue_url: str, instance: str, ids: list[int], workers: int,
                 engine: sa.Engine) -> float:
    env = {**os.environ, "CONSENTDESK_DATABASE_URL": url, "CONSENTDESK_QUEUE_URL": queue_url,
           "CONSENTDESK_INSTANCE_PATH": instance, "CONSENTDESK_LOAD_ENTRYPOINTS": "0",
           "CONSENTDESK_SUPPRESSION_KEY": KEY, "CONSENTDESK_DISPATCH_BATCH": str(BATCH)}
    app = create_app({"DATABASE_URL": url, "QUEUE_URL": queue_url, "INSTANCE_PATH": instance,
                      "LOAD_ENTRYPOINTS": False, "SUPPRESSION_KEY": KEY})
    queue = app.extensions["consentdesk"].queue
    queue.huey.flush()
    logs = [Path(instance) / f"worker-{n}.log" for n in range(workers)]
    procs = [subprocess.Popen([str(Path(sys.executable).parent / "consentdesk"), "worker",
                               "--threads", "1"], env=env, cwd=ROOT, stdout=log.open("w"),
                              stderr=subprocess.STDOUT) for log in logs]
    try:
        for log in logs:  # wait until each worker has built its app and is consuming
            while "Consentdesk worker" not in log.read_text():
                time.sleep(0.1)
        time.sleep(1.0)
        started = time.perf_counter()
        queue.submit(ids)
        while sent(engine) < len(ids):
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        queue.huey.flush()


def run(kind: str, count: int, workers: int) -> None:
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        url = engine.url.render_as_string(hide_password=False)
        app = app_for(engine, instance, SUPPRESSION_KEY=KEY)
        ids = populate(engine, count)
        base = floor(engine, ids)
        reset(engine)
        local = in_process(app, ids)
        assert sent(engine) == count, f"only {sent(engine)} of {count} sent in process"
        reset(engine)
        queue_url = f"sqlite:///{instance}/queue.db" if kind == "sqlite" else REDIS
        drained = with_workers(url, queue_url, instance, ids, workers, engine)
        label = f"{kind} ({'SqliteHuey' if kind == 'sqlite' else 'Redis'}, {workers} workers)"
        print(f"{kind:8} floor (bare UPDATE)   {count / base:9,.0f} msg/s")
        print(f"{kind:8} dispatch in-process   {count / local:9,.0f} msg/s   "
              f"{local / base:5.1f}x the floor's time")
        print(f"{label:8} {count / drained:9,.0f} msg/s   {drained / base:5.1f}x the floor's time")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.messages:,} queued messages, batches of {BATCH}, Python {sys.version.split()[0]}")
    for kind in args.databases.split(","):
        run(kind.strip(), args.messages, args.workers)


if __name__ == "__main__":
    main()
