"""Many sends in flight at once, and every safety property of one-at-a-time sending kept:
the provider's concurrency, a STOP landing mid-flight, a crash with sends out, a vendor's
429, quiet hours beginning during a batch."""

import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fakes import FakePlugin, FakeVendor
from flask import current_app
from test_dispatch import NOON, build_world, person, queue_text, run, settle, statuses
from test_pace import most_in_any_window

from core.consent import app_ledger
from core.db import db
from core.models import Contact, Message, Sender
from core.sending import dispatch as dispatcher
from hooks.providers import Capabilities

NY = NOON.tzinfo
WORKER = Path(__file__).parent / "pace_worker.py"
PHONES = [f"+1212556{n:04d}" for n in range(200)]


class BusyVendor(FakeVendor):
    """A vendor that takes ``latency`` seconds to answer and may be called from many threads;
    it counts how many calls overlap."""

    capabilities = Capabilities(can_reconcile=True, max_in_flight=50)

    def __init__(self, latency=0.02):
        super().__init__()
        self.latency, self.lock = latency, threading.Lock()
        self.now_in_flight = self.peak = 0

    def send(self, text):
        with self.lock:
            self.now_in_flight += 1
            self.peak = max(self.peak, self.now_in_flight)
        try:
            result = super().send(text)
            time.sleep(self.latency)
            return result
        finally:
            with self.lock:
                self.now_in_flight -= 1


@pytest.fixture
def vendor():
    return BusyVendor()


@pytest.fixture
def app(make_app, vendor):
    return make_app(EXTRA_PLUGINS=[FakePlugin(vendor)])


@pytest.fixture
def world(session):
    return build_world(session)


def aware(moment):
    """A stored time (naive UTC on SQLite) as an aware one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def queue_many(session, world, phones, slug="transactional", sender=None):
    ids = [queue_text(session, world, person(session, world, p, slug), f"k{p}", slug,
                      sender=sender).id for p in phones]
    session.commit()
    return ids


def test_sends_overlap_up_to_the_providers_own_limit(app, session, world, vendor):
    ids = queue_many(session, world, PHONES[:200])
    assert run(ids, now=NOON) == {"sent": 200}
    assert vendor.peak == 50  # BusyVendor.capabilities.max_in_flight
    assert sorted(vendor.calls) == PHONES[:200]
    assert statuses(session, ids) == ["sent"] * 200


def test_the_dispatch_concurrency_setting_caps_every_provider(make_app, session):
    vendor = BusyVendor()
    app = make_app(EXTRA_PLUGINS=[FakePlugin(vendor)], DISPATCH_CONCURRENCY=8)
    with app.app_context():
        world = build_world(db.session)
        ids = queue_many(db.session, world, PHONES[:40])
        assert run(ids, now=NOON) == {"sent": 40}
    assert vendor.peak == 8


def test_a_simple_plugin_is_called_one_send_at_a_time(app, session, world, vendor, monkeypatch):
    monkeypatch.setattr(BusyVendor, "capabilities", Capabilities(can_reconcile=True))
    ids = queue_many(session, world, PHONES[:20])
    assert run(ids, now=NOON) == {"sent": 20}
    assert vendor.peak == 1


def test_a_stop_landing_while_fifty_sends_are_in_flight(app, session, world, vendor):
    """The fifty already handed over go; of the rest, only those who opted out are stopped."""
    ids = queue_many(session, world, PHONES[:100])
    stoppers = PHONES[60:100]  # queued behind the fifty in flight

    def fifty_are_out():
        with app.app_context(), db.sessionmaker() as other, other.begin():
            ledger = app_ledger(app, other)
            for contact in other.scalars(sa.select(Contact).where(Contact.phone.in_(stoppers))):
                ledger.opt_out(contact, None, source="keyword", actor="inbound SMS",
                               occurred_at=NOON)

    all_out = threading.Barrier(50, action=fifty_are_out, timeout=20)

    def hold_until_fifty(text):
        if PHONES.index(text.to) < 50:
            all_out.wait()  # breaks (and fails the test) if fifty never overlap

    vendor.before_send = hold_until_fifty
    tally = run(ids, now=NOON)
    assert vendor.peak == 50
    assert tally == {"sent": 60, "released": 40, "blocked": 40}
    assert sorted(vendor.calls) == PHONES[:60]
    assert statuses(session, ids) == ["sent"] * 60 + ["blocked"] * 40


def test_a_crash_with_sends_in_flight_resends_nothing(app, session, world, vendor, monkeypatch):
    ids = queue_many(session, world, PHONES[:120])
    monkeypatch.setattr(dispatcher, "RECORD_EVERY", 10)
    record = dispatcher.record

    def crash(*args):
        raise KeyboardInterrupt("worker killed")  # the first write of outcomes never happens

    monkeypatch.setattr(dispatcher, "record", crash)
    with pytest.raises(KeyboardInterrupt):
        run(ids, now=NOON)
    monkeypatch.setattr(dispatcher, "record", record)
    handed_over = set(vendor.calls)
    assert 10 <= len(handed_over) < 120  # the crash came mid-batch, with sends out
    assert statuses(session, ids) == ["sending"] * 120
    assert run(ids, now=NOON) == {}  # a re-run of the task before the lease ends sends nothing

    later = NOON + dispatcher.SENDING_LEASE + timedelta(seconds=1)
    assert settle(now=later) == {"found": len(handed_over), "requeued": 120 - len(handed_over)}
    assert run(ids, now=later) == {"sent": 120 - len(handed_over)}
    assert sorted(vendor.calls) == PHONES[:120]  # each number texted exactly once
    assert statuses(session, ids) == ["sent"] * 120


def test_a_429_pauses_that_sender_only_and_fails_nothing(app, session, world, vendor, monkeypatch):
    monkeypatch.setattr(BusyVendor, "capabilities", Capabilities(can_reconcile=True))
    other = Sender(address="+14155550143", campaign=world["sender"].campaign, provider="fake")
    session.add(other)
    session.flush()
    slowed = queue_many(session, world, PHONES[:10])
    unaffected = queue_many(session, world, PHONES[10:15], sender=other)
    vendor.behaviour[PHONES[2]] = "429"
    tally = run(slowed + unaffected, now=NOON)
    assert tally == {"sent": 7, "throttled": 1, "paused": 8}
    assert vendor.calls == PHONES[:3] + PHONES[10:15]  # nothing more to the slowed sender
    session.expire_all()
    waiting = [session.get(Message, i) for i in slowed[2:]]
    assert {(m.status, m.attempts, m.error_code) for m in waiting} == {("queued", 0, None)}
    retry_at = NOON + timedelta(seconds=30)
    assert all(abs(aware(m.send_after) - retry_at) < timedelta(seconds=2) for m in waiting)
    pace = current_app.extensions["consentdesk"].pace
    sender_id = world["sender"].id
    db.session.commit()
    assert pace.state(sender_id).paused_until == pytest.approx(retry_at.timestamp(), abs=2)
    assert pace.state(other.id).paused_until in (None, 0, 0.0)

    del vendor.behaviour[PHONES[2]]
    assert run(slowed, now=NOON + timedelta(seconds=10)) == {}  # still paused: not due
    assert run(slowed, now=retry_at + timedelta(seconds=2)) == {"sent": 8}


def test_quiet_hours_that_begin_mid_batch_stop_the_rest(app, session, world, vendor):
    world["sender"].per_second = 2  # a paced sender: its second slot falls after 21:00
    ids = queue_many(session, world, PHONES[:3], slug="marketing")
    evening = NOON.replace(hour=20, minute=59, second=59, microsecond=600_000)
    tally = run(ids, now=evening)
    assert tally["sent"] == 1 and tally["released"] == 2 and tally["deferred"] == 2
    assert vendor.calls == PHONES[:1]
    session.expire_all()
    deferred = [session.get(Message, i) for i in ids[1:]]
    assert [(m.status, m.block_reasons[0][:11]) for m in deferred] == [
        ("deferred", "quiet_hours")] * 2
    assert {aware(m.send_after).astimezone(NY).hour for m in deferred} == {8}


# A sender's limit holds across worker processes: two processes share one database (the pace
# kept in its sender_pace table) or one Redis, as workers on two machines would.

def redis_pace_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return f"{url}#consentdesk-test:{uuid.uuid4().hex}:"


@pytest.mark.parametrize("store", ["database", "redis"])
def test_a_senders_limit_holds_across_two_worker_processes(
        app, session, world, database_url, tmp_path, store):
    pace_url = redis_pace_url() if store == "redis" else "database"
    world["sender"].per_second = 20
    ids = queue_many(session, world, PHONES[:80])
    db.session.commit()
    start_at = time.time() + 4  # both have imported the app and wait for the same moment
    outs = [tmp_path / f"worker{n}.json" for n in (1, 2)]
    workers = [subprocess.Popen([sys.executable, str(WORKER), str(database_url), pace_url,
                                 str(start_at), str(out), *map(str, share)])
               for out, share in zip(outs, (ids[0::2], ids[1::2]), strict=True)]
    for worker in workers:
        assert worker.wait(timeout=90) == 0
    results = [json.loads(out.read_text()) for out in outs]
    assert [r["unsent"] for r in results] == [[], []]
    times = sorted(results[0]["times"] + results[1]["times"])
    assert len(times) == 80  # each text once
    assert results[0]["times"] and results[1]["times"]  # both workers sent
    assert most_in_any_window(times, 1.0) <= 20
    assert times[-1] - times[0] >= 79 * 0.05  # evenly spaced, not in bursts
    assert statuses(session, ids) == ["sent"] * 80


def test_a_paced_text_the_sending_thread_reaches_too_late_is_not_sent_then(
        app, session, world, vendor, monkeypatch):
    monkeypatch.setattr(dispatcher, "LATE_SLOT", -1.0)  # every thread "arrives" a second late
    world["sender"].per_second = 50
    ids = queue_many(session, world, PHONES[:3])
    tally = run(ids, now=NOON)
    assert tally == {"paused": 3} and vendor.calls == []  # tried three slots each, then waits
    assert statuses(session, ids) == ["queued"] * 3
    assert {session.get(Message, i).attempts for i in ids} == {0}


def test_an_unpaced_sender_is_never_held_back_by_the_slot_deadline(
        app, session, world, vendor, monkeypatch):
    monkeypatch.setattr(dispatcher, "LATE_SLOT", -1.0)
    ids = queue_many(session, world, PHONES[:3])
    assert run(ids, now=NOON) == {"sent": 3}


def test_batches_share_one_pool_of_sending_threads(monkeypatch):
    """Starting threads for every batch cost more than an instant provider's sends."""
    from core.sending import inflight

    monkeypatch.setattr(inflight, "_pools", {})  # this test's own process-wide pool

    with inflight.InFlight(8, 16) as first:
        pool = first._pool
        first.start("x", lambda: 1)
        assert first.drain() == [1]
    with inflight.InFlight(3, 16) as second:
        assert second._pool is pool and second.limit == 3
    with inflight.InFlight(64, 64) as bigger:  # a larger setting gets a larger pool
        assert bigger._pool is not pool and bigger._pool._max_workers >= 64
    assert inflight.shared_pool(8) is bigger._pool
