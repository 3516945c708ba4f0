"""The real task queue: SqliteHuey by default, Redis with two workers draining one queue."""

import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fakes import FakePlugin, FakeVendor
from flask import current_app

from core import worker
from core.consent import app_ledger
from core.db import db
from core.gate.check import Outgoing, gate_for
from core.models import Brand, Campaign, Contact, Disclosure, Message, MessageType, Sender
from core.sending import outbox

BODY = "Bloom & Branch: your order shipped. Reply STOP to opt out."
REDIS_URL = "redis://127.0.0.1:6379/15"


def load(app, count):
    """``count`` opted-in contacts, each with one queued transactional text."""
    with app.app_context():
        session = db.session
        brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
        campaign = Campaign(brand=brand, name="Orders", use_case="ACCOUNT_NOTIFICATION")
        sender = Sender(address="+14155550142", campaign=campaign, provider="fake")
        disclosure = Disclosure(name="Checkout", text="Order texts. Reply STOP to cancel.")
        session.add_all([brand, campaign, sender, disclosure])
        kind = session.scalars(sa.select(MessageType).filter_by(slug="transactional")).one()
        ledger, gate = app_ledger(current_app, session), gate_for(current_app)
        ids = []
        for n in range(count):
            contact = Contact(phone=f"+1212555{n:04d}")
            session.add(contact)
            session.flush()
            ledger.opt_in(contact, kind, source="web_form", disclosure=disclosure,
                          actor="checkout", occurred_at=datetime(2026, 1, 5, tzinfo=UTC))
            message = outbox.enqueue(session, gate, Outgoing(contact, kind, BODY, sender, None),
                                     key=f"order-{n}", at=datetime.now(UTC))
            ids.append(message.id)
        session.commit()  # the commit hands the ids to the queue
        return ids


def wait_until_sent(app, ids, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context(), db.sessionmaker() as session:
            left = session.scalar(sa.select(sa.func.count()).select_from(Message).where(
                Message.id.in_(ids), Message.status != "sent"))
        if left == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"{left} messages still not sent after {timeout}s")


def run_consumers(apps, threads=2):
    consumers = [a.extensions["consentdesk"].queue.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=False) for a in apps]
    for consumer in consumers:
        consumer.start()
    return consumers


def test_sqlite_queue_worker_sends_what_the_commit_submitted(make_app, tmp_path):
    vendor = FakeVendor()
    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}",
                   EXTRA_PLUGINS=[FakePlugin(vendor)], DISPATCH_BATCH=7)
    ids = load(app, 30)
    huey = app.extensions["consentdesk"].queue.huey
    assert huey.pending_count() == 5  # 30 ids in tasks of 7: a task carries a batch
    consumers = run_consumers([app])
    try:
        wait_until_sent(app, ids)
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
    assert sorted(vendor.calls) == sorted(f"+1212555{n:04d}" for n in range(30))


def test_sweep_resubmits_due_messages_a_lost_task_left_behind(make_app):
    vendor = FakeVendor()
    app = make_app(EXTRA_PLUGINS=[FakePlugin(vendor)])
    ids = load(app, 3)
    queue = app.extensions["consentdesk"].queue
    queue.huey.flush()  # the tasks are lost (say, a memory queue and a restart)
    with app.app_context():
        assert worker.sweep(app, now=datetime(2099, 1, 1, tzinfo=UTC))["submitted"] == 3
        queue.run_pending()
    assert len(vendor.calls) == 3 and len(set(vendor.calls)) == 3
    wait_until_sent(app, ids, timeout=1)


def redis_available():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.skipif(not redis_available(), reason="needs Redis at 127.0.0.1:6379")
def test_two_workers_drain_one_redis_queue_and_send_nothing_twice(make_app):
    vendor = FakeVendor()
    producer = make_app(QUEUE_URL=REDIS_URL, EXTRA_PLUGINS=[FakePlugin(vendor)],
                        DISPATCH_BATCH=10)
    producer.extensions["consentdesk"].queue.huey.flush()
    ids = load(producer, 200)
    # Every batch is submitted twice more, so both workers race for the same rows.
    producer.extensions["consentdesk"].queue.submit(ids)
    producer.extensions["consentdesk"].queue.submit(list(reversed(ids)))
    workers = [make_app(QUEUE_URL=REDIS_URL, EXTRA_PLUGINS=[FakePlugin(vendor)])
               for _ in range(2)]
    consumers = run_consumers(workers, threads=2)
    try:
        wait_until_sent(producer, ids)
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
        producer.extensions["consentdesk"].queue.huey.flush()
    assert len(vendor.calls) == 200 and len(set(vendor.calls)) == 200
