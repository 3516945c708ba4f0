"""Sender pace: the slots a sender may use, planned alike in the database and in Redis."""

import random
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.models import Sender
from core.sending import pace
from core.sending.pace import Limits, State, plan

PACIFIC = ZoneInfo("America/Los_Angeles")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=PACIFIC).timestamp()


def most_in_any_window(times: list[float], width: float) -> int:
    """The most of ``times`` any half-open window [t, t + width) holds."""
    ordered, most, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - width:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_slots_are_evenly_spaced_and_never_exceed_the_per_second_limit():
    limits = Limits(1, per_second=50)
    grant, after = plan(State(), limits, 500, T0, hold=2.0)
    assert len(grant.slots) == 100  # two seconds' worth at 49.5 a second
    assert grant.slots[0] == T0 and grant.resume_at == after.next_at
    gaps = [b - a for a, b in zip(grant.slots, grant.slots[1:], strict=False)]
    assert gaps == pytest.approx([pace.MARGIN / 50] * 99, abs=1e-6)
    assert most_in_any_window(list(grant.slots), 1.0) == 50


def test_the_stricter_of_per_second_and_per_minute_sets_the_spacing():
    assert Limits(1, per_second=10, per_minute=60).interval == pytest.approx(pace.MARGIN)
    assert Limits(1, per_second=1, per_minute=6000).interval == pytest.approx(pace.MARGIN)
    grant, _ = plan(State(), Limits(1, per_minute=120), 1000, T0, hold=60.0)
    assert most_in_any_window(list(grant.slots), 60.0) <= 120
    assert most_in_any_window(list(grant.slots), 1.0) <= 2


def test_a_second_reservation_continues_where_the_first_ended():
    limits = Limits(1, per_second=10)
    first, state = plan(State(), limits, 5, T0, hold=2.0)
    second, state = plan(state, limits, 5, T0 + 0.01, hold=2.0)
    assert second.slots[0] == pytest.approx(first.slots[-1] + limits.interval)
    assert most_in_any_window([*first.slots, *second.slots], 1.0) <= 10


def test_nothing_is_granted_beyond_the_hold_and_the_rest_learns_when_to_come_back():
    limits = Limits(1, per_second=1)
    _, state = plan(State(), limits, 3, T0, hold=2.0)  # slots at 0, 1.01, 2.02 s
    grant, _ = plan(state, limits, 10, T0, hold=2.0)  # the next free slot is 3.03 s away
    assert grant.slots == () and grant.resume_at == pytest.approx(T0 + 3 * limits.interval)


def test_an_unlimited_sender_gets_every_slot_now_unless_the_vendor_paused_it():
    grant, _ = plan(State(), Limits(1), 500, T0, hold=2.0)
    assert grant.slots == (T0,) * 500 and grant.resume_at is None
    paused = pace.throttled(State(), T0 + 30)
    grant, _ = plan(paused, Limits(1), 500, T0, hold=2.0)
    assert grant.slots == () and grant.resume_at == T0 + 30
    grant, _ = plan(paused, Limits(1), 5, T0 + 30, hold=2.0)
    assert grant.slots == (T0 + 30,) * 5


def test_a_throttle_moves_a_limited_senders_next_slot_past_the_retry_after():
    limits = Limits(1, per_second=5)
    state = pace.throttled(State(next_at=T0 + 1), T0 + 10)
    assert pace.throttled(state, T0 + 5) == state  # an earlier pause never shortens one
    grant, _ = plan(state, limits, 3, T0 + 9, hold=2.0)
    assert grant.slots[0] == T0 + 10


def test_the_daily_cap_resumes_at_midnight_pacific_and_the_count_resets():
    limits = Limits(1, daily_cap=3)
    late = datetime(2026, 11, 23, 23, 59, 30, tzinfo=PACIFIC).timestamp()
    grant, state = plan(State(), limits, 5, late, hold=2.0)
    assert len(grant.slots) == 3
    midnight = datetime(2026, 11, 24, 0, 0, tzinfo=PACIFIC).timestamp()
    assert grant.resume_at == midnight
    grant, state = plan(state, limits, 1, late + 10, hold=2.0)
    assert grant.slots == () and grant.resume_at == midnight
    grant, state = plan(state, limits, 5, midnight, hold=2.0)
    assert len(grant.slots) == 3 and state.day == "2026-11-24"


@pytest.mark.parametrize(("day", "hours"), [((2026, 3, 8), 23), ((2026, 11, 1), 25)])
def test_the_daily_cap_resets_at_the_next_local_midnight_across_a_dst_change(day, hours):
    start = datetime(*day, 0, 0, tzinfo=PACIFIC).timestamp()
    assert pace.next_midnight(start + 3600) - start == hours * 3600


def test_the_cap_and_the_rate_together_hold_over_many_random_reservations():
    rng = random.Random(7)
    limits = Limits(1, per_second=20, per_minute=600, daily_cap=900)
    state, now, granted = State(), T0, []
    for _ in range(400):
        now += rng.choice((0.0, 0.01, 0.3, 1.0, 2.5))
        grant, state = plan(state, limits, rng.randint(1, 60), now, hold=rng.choice((0, 1, 2)))
        assert all(slot >= now for slot in grant.slots)
        granted += grant.slots
    assert most_in_any_window(granted, 1.0) <= 20
    assert most_in_any_window(granted, 60.0) <= 600
    assert len(granted) <= 900


# The stores: the same plan kept in the database or in Redis, shared by concurrent workers.

def redis_url() -> str:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return url


@pytest.fixture(params=["database", "redis"])
def store(request, app, session):
    sender = Sender(address="+14155550142", provider="sandbox", per_second=25)
    session.add(sender)
    session.flush()
    sender_id = sender.id
    session.commit()  # no transaction of the test's own holds SQLite's write lock
    if request.param == "database":
        yield pace.DatabasePace(), sender_id
        return
    store = pace.RedisPace(redis_url(), prefix=f"consentdesk-test:{random.random()}:")
    yield store, sender_id
    for key in store.redis.scan_iter(store.prefix + "*"):
        store.redis.delete(key)


def test_workers_reserving_at_once_never_share_a_slot(store, app):
    pace_store, sender_id = store
    limits = Limits(sender_id, per_second=25)
    slots, errors = [], []

    def worker():
        try:
            with app.app_context():
                for _ in range(5):
                    slots.extend(pace_store.reserve(limits, 10, T0, hold=10.0).slots)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(slots) == len(set(slots)) == 200
    assert most_in_any_window(slots, 1.0) <= 25


def test_a_throttle_is_seen_by_every_worker(store, app):
    pace_store, sender_id = store
    with app.app_context():
        pace_store.throttle(sender_id, T0 + 60)
        assert pace_store.state(sender_id).paused_until == T0 + 60
        grant = pace_store.reserve(Limits(sender_id), 10, T0, hold=2.0)
        assert grant.slots == () and grant.resume_at == T0 + 60


def test_the_database_store_keeps_one_row_per_sender(app, session):
    sender = Sender(address="+14155550199", provider="sandbox", daily_cap=2)
    session.add(sender)
    session.flush()
    limits = Limits.of(sender)
    session.commit()
    store = pace.DatabasePace()
    assert len(store.reserve(limits, 5, T0, hold=2.0).slots) == 2
    assert store.reserve(limits, 5, T0 + 1, hold=2.0).slots == ()
    count = session.scalar(sa.text("SELECT count(*) FROM sender_pace"))
    assert count == 1
