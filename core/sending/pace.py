"""Each sender's pace: ``per_second``, ``per_minute`` and ``daily_cap``, held across every worker.

A sender's texts are spaced evenly (a GCRA token bucket with no burst: each text moves the
sender's next free slot on by one interval), so no one-second window holds more than
``per_second`` texts and no minute more than ``per_minute``. A daily counter holds the cap,
which resets at midnight US/Pacific as T-Mobile's does. A vendor's 429 pushes the next free
slot past its Retry-After, for every worker at once.

A worker reserves the slots that fall within the next ``hold`` seconds in one round trip,
then waits for each slot's time before handing its text over; the texts beyond go back to
the queue for when the sender is free again. One function (:func:`plan`) decides; the state
lives in Redis when the queue does (a WATCH/MULTI transaction, so workers on many machines
agree), otherwise in the ``sender_pace`` table (one short write transaction, a row lock on
PostgreSQL). Times are Unix seconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from core.db import READ_ONLY, db
from core.models import SenderPace

PACIFIC = ZoneInfo("America/Los_Angeles")  # T-Mobile's daily caps reset at midnight here
DEFAULT_THROTTLE = 1.0  # seconds to pause a sender whose vendor said 429 without Retry-After
MAX_THROTTLE = 3600.0
MARGIN = 1.01


@dataclass(frozen=True)
class Limits:
    sender_id: int
    per_second: int | None = None
    per_minute: int | None = None
    daily_cap: int | None = None

    @classmethod
    def of(cls, sender) -> Limits:
        return cls(sender.id, sender.per_second, sender.per_minute, sender.daily_cap)

    @property
    def interval(self) -> float:
        """Seconds between two texts: the stricter of the per-second and per-minute limits,
        1% wider so a text handed over a few milliseconds late never makes a window exceed
        its limit."""
        return MARGIN * max(1 / self.per_second if self.per_second else 0.0,
                            60 / self.per_minute if self.per_minute else 0.0)

    @property
    def limited(self) -> bool:
        return bool(self.per_second or self.per_minute or self.daily_cap)


@dataclass(frozen=True)
class State:
    next_at: float = 0.0  # the sender's next free slot
    paused_until: float = 0.0  # a vendor's 429
    day: str = ""  # the Pacific date day_count counts
    day_count: int = 0


@dataclass(frozen=True)
class Grant:
    slots: tuple[float, ...]  # when each granted text may be handed over, in order
    resume_at: float | None  # when the texts not granted may try again (None: all granted)


def pacific_day(at: float) -> str:
    return datetime.fromtimestamp(at, PACIFIC).date().isoformat()


def next_midnight(at: float) -> float:
    local = datetime.fromtimestamp(at, PACIFIC)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    # A calendar day later in local time (23 or 25 hours across a DST change).
    return (midnight + timedelta(days=1)).replace(tzinfo=PACIFIC).timestamp()


def plan(state: State, limits: Limits, wanted: int, now: float,
         hold: float) -> tuple[Grant, State]:
    """Grant up to ``wanted`` slots within ``hold`` seconds of ``now``; the state after."""
    start = max(state.next_at, state.paused_until, now)
    count = state.day_count if state.day == pacific_day(now) else 0
    interval = limits.interval
    granted = wanted if start <= now + hold else 0
    if granted and interval:
        granted = min(granted, math.floor((now + hold - start) / interval + 1e-9) + 1)
    capped = bool(limits.daily_cap) and granted >= limits.daily_cap - count
    if capped:
        granted = max(0, limits.daily_cap - count)
    slots = tuple(start + i * interval for i in range(granted))
    resume = None
    if granted < wanted:
        resume = (max(start, next_midnight(now)) if capped
                  else start + granted * interval)
    after = replace(state, day=pacific_day(now), day_count=count + granted)
    if granted and interval:
        after = replace(after, next_at=start + granted * interval)
    return Grant(slots, resume), after


def throttled(state: State, until: float) -> State:
    """The vendor asked for a pause: nothing goes before ``until``."""
    return replace(state, paused_until=max(state.paused_until, until),
                   next_at=max(state.next_at, until))


class DatabasePace:
    """The senders' pace in the ``sender_pace`` table (SQLite's write lock, or a row lock)."""

    def reserve(self, limits: Limits, wanted: int, now: float, hold: float) -> Grant:
        if not limits.limited:  # only a vendor's pause applies: read, write nothing
            return plan(self.state(limits.sender_id), limits, wanted, now, hold)[0]
        with db.sessionmaker() as session, session.begin():
            row = self._locked(session, limits.sender_id)
            grant, after = plan(_state(row), limits, wanted, now, hold)
            _store(row, after)
            return grant

    def throttle(self, sender_id: int, until: float) -> None:
        with db.sessionmaker() as session, session.begin():
            row = self._locked(session, sender_id)
            _store(row, throttled(_state(row), until))

    def state(self, sender_id: int) -> State:
        with db.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            row = connection.execute(sa.select(SenderPace.__table__).where(
                SenderPace.sender_id == sender_id)).first()
            connection.rollback()
        return _state(row)

    @staticmethod
    def _locked(session, sender_id: int) -> SenderPace:
        table = SenderPace.__table__
        dialect = session.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = (sa.dialects.postgresql.insert if dialect == "postgresql"
                      else sa.dialects.sqlite.insert)
            session.execute(insert(table).values(sender_id=sender_id, next_at=0.0,
                                                 paused_until=0.0, day="", day_count=0)
                            .on_conflict_do_nothing(index_elements=["sender_id"]))
        elif session.get(SenderPace, sender_id) is None:
            session.add(SenderPace(sender_id=sender_id))
            session.flush()
        return session.scalars(sa.select(SenderPace).where(SenderPace.sender_id == sender_id)
                               .with_for_update()).one()


def _state(row: SenderPace | None) -> State:
    if row is None:
        return State()
    return State(row.next_at or 0.0, row.paused_until or 0.0, row.day or "", row.day_count or 0)


def _store(row: SenderPace, state: State) -> None:
    row.next_at, row.paused_until = state.next_at, state.paused_until
    row.day, row.day_count = state.day, state.day_count


class RedisPace:
    """The senders' pace in Redis, shared by workers on many machines."""

    def __init__(self, url: str, prefix: str = "consentdesk:pace:"):
        import redis

        self.redis, self.prefix = redis.Redis.from_url(url), prefix

    def reserve(self, limits: Limits, wanted: int, now: float, hold: float) -> Grant:
        if not limits.limited:
            return plan(self.state(limits.sender_id), limits, wanted, now, hold)[0]
        return self._change(limits.sender_id,
                            lambda state: plan(state, limits, wanted, now, hold))

    def throttle(self, sender_id: int, until: float) -> None:
        self._change(sender_id, lambda state: (None, throttled(state, until)))

    def state(self, sender_id: int) -> State:
        raw = self.redis.get(self.prefix + str(sender_id))
        return State(**json.loads(raw)) if raw else State()

    def _change(self, sender_id: int, change):
        import redis

        key = self.prefix + str(sender_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    result, after = change(State(**json.loads(raw)) if raw else State())
                    pipe.multi()
                    # Kept two days past the last use: the daily count needs no more.
                    pipe.set(key, json.dumps(after.__dict__), ex=2 * 86400)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another worker reserved meanwhile: plan again on its state


def init_pace(app: Flask) -> DatabasePace | RedisPace:
    """Redis when the queue is Redis (workers may run on many machines), else the database."""
    url = app.config.get("QUEUE_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisPace(url)
    return DatabasePace()
