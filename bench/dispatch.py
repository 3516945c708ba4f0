"""Dispatch benchmark: N queued messages through gate and sandbox provider, against a bare UPDATE.

    .venv/bin/python bench/dispatch.py [--messages 100000] [--databases sqlite,postgres]
                                       [--workers 2]
    .venv/bin/python bench/dispatch.py --latency 0.1 --messages 20000 --workers 1,2,4 \
                                       [--per-second 50 --paced-messages 2000]

Per database it prints, each as messages per second:

- floor: ``UPDATE message SET status='sent', provider_message_id=...`` by id, in
  transactions of one dispatch batch (500), the least any dispatcher must write;
- in-process: ``dispatch()`` called batch after batch in this process (gate re-check,
  claim, sandbox send, record), no queue;
- workers: ``consentdesk worker`` processes draining the real queue (SqliteHuey on SQLite,
  Redis with PostgreSQL), timed from the first task submitted to the last row sent, once
  for each worker count given;

and the ratio of each to the floor. Target: at least 5,000 messages/s on SQLite.

``--latency`` makes the sandbox answer each send after that many seconds, as a vendor's API
does; each figure is then also set against the ideal, (sends in flight) / latency, and the
target is at least 500 messages/s from one worker process. ``--per-second`` then sends
``--paced-messages`` texts from a sender limited to that rate through as many worker
processes as the largest ``--workers``, noting when each text reached the sandbox: the
rate must be within 2% of the limit and no one-second window may hold more than it.
"""

from __future__ import annotations

import argparse
import json
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


def reset(engine: sa.Engine, per_second: int | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE message SET status='queued', provider_message_id=NULL, provider=NULL, "
            "dispatched_at=NULL, send_after=NULL, attempts=0"))
        connection.execute(sa.text("DELETE FROM sender_pace"))
        connection.execute(sa.text("UPDATE sender SET per_second=:n"), {"n": per_second})


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
                 engine: sa.Engine, latency: float = 0.0) -> float:
    env = {**os.environ, "CONSENTDESK_DATABASE_URL": url, "CONSENTDESK_QUEUE_URL": queue_url,
           "CONSENTDESK_INSTANCE_PATH": instance, "CONSENTDESK_LOAD_ENTRYPOINTS": "0",
           "CONSENTDESK_SUPPRESSION_KEY": KEY, "CONSENTDESK_DISPATCH_BATCH": str(BATCH),
           "CONSENTDESK_SANDBOX_LATENCY": str(latency)}
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


def run(kind: str, count: int, workers: list[int]) -> None:
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        url = engine.url.render_as_string(hide_password=False)
        app = app_for(engine, instance, SUPPRESSION_KEY=KEY)
        ids = populate(engine, count)
        base = floor(engine, ids)
        reset(engine)
        local = in_process(app, ids)
        assert sent(engine) == count, f"only {sent(engine)} of {count} sent in process"
        print(f"{kind:8} floor (bare UPDATE)   {count / base:9,.0f} msg/s")
        print(f"{kind:8} dispatch in-process   {count / local:9,.0f} msg/s   "
              f"{local / base:5.1f}x the floor's time")
        queue_url = f"sqlite:///{instance}/queue.db" if kind == "sqlite" else REDIS
        for n in workers:
            reset(engine)
            drained = with_workers(url, queue_url, instance, ids, n, engine)
            label = f"{kind} ({'SqliteHuey' if kind == 'sqlite' else 'Redis'}, {n} workers)"
            print(f"{label:8} {count / drained:9,.0f} msg/s   "
                  f"{drained / base:5.1f}x the floor's time")
        sys.stdout.flush()


def run_latency(kind: str, count: int, workers: list[int], latency: float,
                per_second: int | None, paced: int) -> None:
    """The same queue through a sandbox that answers in ``latency`` seconds."""
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        url = engine.url.render_as_string(hide_password=False)
        app = app_for(engine, instance, SUPPRESSION_KEY=KEY, SANDBOX_LATENCY=latency)
        ids = populate(engine, count)
        base = floor(engine, ids)
        in_flight = min(int(app.config.get("DISPATCH_CONCURRENCY") or 64),
                        app.extensions["consentdesk"].providers["sandbox"]
                        .capabilities.max_in_flight)
        ideal = in_flight / latency
        print(f"{kind:8} floor (bare UPDATE)         {count / base:9,.0f} msg/s")
        reset(engine)
        local = in_process(app, ids)
        assert sent(engine) == count, f"only {sent(engine)} of {count} sent in process"
        print(f"{kind:8} dispatch in-process         {count / local:9,.0f} msg/s   "
              f"{count / local / ideal:5.0%} of the ideal {ideal:,.0f} ({in_flight} in flight "
              f"/ {latency * 1000:.0f} ms)")
        queue_url = f"sqlite:///{instance}/queue.db" if kind == "sqlite" else REDIS
        for n in workers:
            reset(engine)
            drained = with_workers(url, queue_url, instance, ids, n, engine, latency)
            print(f"{kind:8} {n} worker process{'es' if n > 1 else '  '}      "
                  f"{count / drained:9,.0f} msg/s   {count / drained / (n * ideal):5.0%} of the "
                  f"ideal {n * ideal:,.0f}")
            sys.stdout.flush()
        if per_second:
            reset(engine, per_second)
            times = paced_workers(url, instance, ids[:paced], max(workers), latency)
            rate = (len(times) - 1) / (times[-1] - times[0])
            print(f"{kind:8} paced {per_second}/s, {max(workers)} workers  {rate:9,.2f} msg/s   "
                  f"{rate / per_second - 1:+.2%} of the limit; most in any 1 s window: "
                  f"{most_in_any_second(times)} (limit {per_second})")
        sys.stdout.flush()


def most_in_any_second(times: list[float]) -> int:
    ordered, most, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def paced_workers(url: str, instance: str, ids: list[int], workers: int,
                  latency: float) -> list[float]:
    """``workers`` processes dispatch their share of ``ids`` until all are sent, as queue
    workers would; returns when each text reached the sandbox (wall clock)."""
    start_at = time.time() + 5  # each builds its app, then all begin together
    outs = [Path(instance) / f"paced-{n}.json" for n in range(workers)]
    procs = [subprocess.Popen([sys.executable, __file__, "--paced-worker", url, str(latency),
                               str(start_at), str(out), *map(str, ids[n::workers])])
             for n, out in enumerate(outs)]
    for proc in procs:
        assert proc.wait() == 0, "a paced worker failed"
    times = sorted(t for out in outs for t in json.loads(out.read_text()))
    assert len(times) == len(ids), f"{len(times)} sends for {len(ids)} texts"
    return times


def paced_worker(url: str, latency: float, start_at: float, out: str, ids: list[int]) -> None:
    from core.builtin.sandbox import SandboxProvider
    from core.db import db
    from core.models import Message

    times: list[float] = []
    send = SandboxProvider.send

    def timed(self, text):
        times.append(time.time())
        return send(self, text)

    SandboxProvider.send = timed
    app = create_app({"DATABASE_URL": url, "QUEUE_URL": "memory", "LOAD_ENTRYPOINTS": False,
                      "INSTANCE_PATH": str(Path(out).parent), "SUPPRESSION_KEY": KEY,
                      "SANDBOX_LATENCY": latency})
    time.sleep(max(0.0, start_at - time.time()))
    with app.app_context():
        pending = ids
        while pending:
            for start in range(0, len(pending), BATCH):
                dispatcher.dispatch(app, pending[start:start + BATCH])
            with db.sessionmaker() as session:
                pending = list(session.scalars(sa.select(Message.id).where(
                    Message.id.in_(ids), Message.status != "delivered")))
            time.sleep(0.02)  # the held ones are due again when their sender's slot comes
    Path(out).write_text(json.dumps(times))


def main() -> None:
    if sys.argv[1:2] == ["--paced-worker"]:
        url, latency, start_at, out, *ids = sys.argv[2:]
        paced_worker(url, float(latency), float(start_at), out, [int(i) for i in ids])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--workers", default="2", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the sandbox takes to answer each send")
    parser.add_argument("--per-second", type=int, default=0,
                        help="with --latency: also send from a sender limited to this rate")
    parser.add_argument("--paced-messages", type=int, default=2_000)
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",")]
    print(f"{args.messages:,} queued messages, batches of {BATCH}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    for kind in args.databases.split(","):
        if args.latency:
            run_latency(kind.strip(), args.messages, workers, args.latency, args.per_second,
                        min(args.paced_messages, args.messages))
        else:
            run(kind.strip(), args.messages, workers)


if __name__ == "__main__":
    main()
