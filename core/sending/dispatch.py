"""The dispatcher: outbox rows to the gate (again) to a provider, each text at most once.

One call handles one batch of message ids in three steps, none holding a transaction
across a network call:

1. **claim** (``core.sending.claim``): re-run the gate for every due row and mark the
   survivors ``sending`` before any provider is called; a row is claimed by one worker only.
2. **send**: hand each text to its provider, up to ``DISPATCH_CONCURRENCY`` calls in flight
   on a pool of threads (``core.sending.inflight``), each sender held to its throughput
   limits across every worker (``core.sending.pace``; a vendor's 429 pauses the sender and
   queues the text again, uncounted). Just before each handover the consent chain head is
   read (an opt-out recorded since the claim releases the texts to that person, to be
   judged again) and the recipient's quiet hours are checked against the clock.
3. **record** (a transaction every ``RECORD_EVERY`` texts or ``RECORD_SECONDS``): the
   provider's id and status,
   or the failure: retried with backoff, dead-lettered, or failed; a refusal whose code the
   provider declares (``error_outcomes``) records an opt-out or marks the number unreachable.

A crash between a provider accepting a text and step 3 leaves the row ``sending``;
``recover`` asks the provider about it before anything is resent.
"""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, selectinload

from core.db import READ_ONLY, db, one_of, utcnow
from core.models import ConsentEvent, Message
from core.models.guard import allow_writes
from core.sending import outcomes
from core.sending.claim import UNCERTAIN, Claimed, claim, text_for
from core.sending.inflight import InFlight
from core.sending.pace import DEFAULT_THROTTLE, MAX_THROTTLE
from hooks.providers import (
    OPTED_OUT,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    SendResult,
    TemporaryFailure,
    Throttled,
)

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
SENDING_LEASE = timedelta(minutes=15)  # longer than any batch takes to send
RECORD_EVERY = 250  # outcomes written per transaction (at most these await a crash's reconcile)...
RECORD_SECONDS = 0.5  # ...or this often, whichever comes first
# A paced text reaching its vendor later than this after its slot waits for another. Slots
# lie MARGIN (1%) wider apart than the limit, 10 ms over a second: a text 8 ms late at most
# never brings a second-long window over the limit.
LATE_SLOT = 0.008
LATE_TRIES = 3
LEAD = 0.05  # seconds between reserving a paced sender's slots and the first of them
HOLD = 2.0  # seconds ahead a batch reserves its senders' slots; later texts go back to the queue
HEAD_SQL = "SELECT seq FROM consent_chain_head"
# A consent head read this recently serves the next handover too: texts handed over in one
# burst share a read (on PostgreSQL a read per text was a third of a batch's time), and an
# opt-out is never missed by more than this, less than the read's own round trip on a busy
# database.
HEAD_FRESH = 0.001


@dataclass(frozen=True)
class Attempt:
    claimed: Claimed
    result: SendResult | None = None
    error: Exception | None = None
    late: bool = False  # not sent: its slot had passed when the thread got to it


def dispatch(app: Flask, ids: Sequence[int], now: datetime | None = None,
             depth: int = 0) -> Counter:
    """Send what is due among ``ids``; safe to run twice, or in two workers, with the same ids.

    Returns counts by outcome (``sent``, ``blocked``, ``deferred``, ``paused``, ``retry``,
    ``failed``, ``dead``, ``released``). Rows already handled are skipped silently.
    """
    now = now or utcnow()
    started = time.monotonic()
    tally: Counter = Counter()
    later: list[tuple[int, datetime]] = []
    claimed, head_seq, rejudge = claim(app, ids, now, tally, later)
    released = send(app, claimed, head_seq, tally, now, later, started)
    again = rejudge + released
    if again and depth < 3:  # consent or the hour changed meanwhile: judge those again
        moved_on = now + timedelta(seconds=time.monotonic() - started)
        tally.update(dispatch(app, again, moved_on, depth + 1))
    _schedule(app, later)
    return tally


def _schedule(app: Flask, later: list[tuple[int, datetime]]) -> None:
    """Tasks for the rows that wait (retries, quiet hours, paused senders), at their time."""
    queue = app.extensions["consentdesk"].queue
    by_time: dict[datetime, list[int]] = {}
    for message_id, at in later:
        by_time.setdefault(at, []).append(message_id)
    for at, ids in by_time.items():
        queue.submit(ids, eta=at)


def _dead(message: Message, why: str) -> None:
    message.status, message.last_error = "dead", why


def send(app: Flask, claimed: list[Claimed], head_seq: int, tally: Counter,
         now: datetime, later: list[tuple[int, datetime]],
         started: float | None = None) -> list[int]:
    """Hand the claimed texts to their providers, many in flight at once; return the ids
    released for a re-check (an opt-out since the claim, or quiet hours that began).

    ``started`` is the ``time.monotonic()`` at which ``now`` was read: the batch's clock
    runs on from there, so workers that share a sender's slots agree on the time."""
    return _Sending(app, head_seq, tally, now, later, started).run(claimed)


class _Sending:
    """One batch's handover: each text waits for its sender's slot and a free thread, and
    the consent head and the recipient's quiet hours are checked just before it goes."""

    def __init__(self, app: Flask, head_seq: int, tally: Counter, now: datetime,
                 later: list[tuple[int, datetime]], started: float | None = None):
        # The send threads need the app itself, not the current_app proxy of this thread.
        self.app = getattr(app, "_get_current_object", lambda: app)()
        self.head_seq, self.tally, self.now, self.later = head_seq, tally, now, later
        self.providers = app.extensions["consentdesk"].providers
        self.pace = app.extensions["consentdesk"].pace
        # The batch's clock: ``now``, moving on from the moment it was read (not from the
        # end of the claim, which would set two workers' clocks apart by their claims).
        self.offset = now.timestamp() - (time.monotonic() if started is None else started)
        self.concurrency = int(app.config.get("DISPATCH_CONCURRENCY") or 64)
        self.slots: dict[int, deque[float]] = {}
        self.paused: dict[int, float] = {}  # sender -> when it may send again
        self.done: list[Attempt] = []
        self.recorded_at = time.monotonic()
        self.released: list[int] = []  # judged again: consent or quiet hours changed
        self.held: list[tuple[int, float]] = []  # back to the queue: the sender's pace
        self.late: list[Claimed] = []  # missed their slot on the sending thread
        self.tries: Counter = Counter()

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def run(self, claimed: list[Claimed]) -> list[int]:
        stopped: set[int] = set()
        waiting = deque(claimed)
        with (db.engine.connect().execution_options(**{READ_ONLY: True}) as reader,
              InFlight(min(self.concurrency, len(claimed)), self.concurrency) as flight):
            # The head is read before every handover (a read under HEAD_FRESH old serves the
            # texts handed over in the same burst), so it goes straight to the driver: on
            # SQLite (autocommit reads) and PostgreSQL (read committed) each read sees the
            # latest commit.
            cursor = reader.connection.dbapi_connection.cursor()
            seq, head_read_at = self.head_seq, float("-inf")
            while waiting or len(flight):
                if not waiting:  # what is left is in flight; a late one comes back
                    self._collect(flight.finished(timeout=None))
                    waiting.extend(self._late())
                    continue
                item = waiting.popleft()
                provider = self.providers[item.provider]
                while not flight.room(item.provider, provider.capabilities.max_in_flight):
                    self._collect(flight.finished(timeout=None))
                remaining = [item, *waiting]
                slot = self._slot(item, remaining)
                if slot is None:
                    continue
                while (delay := slot - self.clock()) > 0:
                    if len(flight):  # no database write this close to a slot
                        self._collect(flight.finished(timeout=delay), may_record=delay > 0.05)
                    else:
                        time.sleep(delay)
                if item.limits.sender_id in self.paused:  # a 429 arrived while it waited
                    self.held.append((item.message_id, self.paused[item.limits.sender_id]))
                    continue
                if item.open_until is not None and self._moment() >= item.open_until:
                    self.released.append(item.message_id)  # quiet hours began: judge again
                    continue
                if time.monotonic() - head_read_at > HEAD_FRESH:
                    cursor.execute(HEAD_SQL)
                    row = cursor.fetchone()
                    seq, head_read_at = (row[0] if row else 0), time.monotonic()
                if seq != self.head_seq:
                    stopped |= _opted_out_since(reader, self.head_seq, remaining)
                    self.head_seq = seq
                    reader.rollback()
                if item.contact_id in stopped:
                    self.released.append(item.message_id)
                    continue
                # A paced text must reach the vendor within LATE_SLOT of its slot, checked on
                # the sending thread itself: one that waited for the thread is given another.
                deadline = slot - self.offset + LATE_SLOT if item.limits.interval else None
                flight.start(item.provider, _attempt, self.app, provider, item, deadline)
                self._collect(flight.finished())
                waiting.extend(self._late())
            cursor.close()
            reader.rollback()
        self._record(force=True)
        if self.released:
            _release(self.released)
            self.tally["released"] += len(self.released)
        if self.held:
            _hold(self.held, self.later)
            self.tally["paused"] += len(self.held)
        return self.released

    def _slot(self, item: Claimed, remaining: list[Claimed]) -> float | None:
        """When ``item`` may be handed over by its sender's pace; None: it goes back to the
        queue (the sender is paused or has no slot soon)."""
        sender = item.limits.sender_id
        if sender in self.paused:
            self.held.append((item.message_id, self.paused[sender]))
            return None
        slots = self.slots.setdefault(sender, deque())
        for _ in range(3):
            if item.limits.interval:  # a slot missed by more than LATE_SLOT is skipped, so
                late = self.clock() - LATE_SLOT  # texts handed over late never bunch up
                while slots and slots[0] < late:
                    slots.popleft()
            if slots:
                return slots.popleft()
            wanted = sum(1 for c in remaining if c.limits.sender_id == sender)
            # A paced sender's first slot lies LEAD ahead, so the reservation's own round
            # trip does not make it late.
            lead = LEAD if item.limits.interval else 0.0
            grant = self.pace.reserve(item.limits, wanted, self.clock() + lead, HOLD)
            slots.extend(grant.slots)
            if not slots:
                break
        resume_at = grant.resume_at or self.clock() + (item.limits.interval or DEFAULT_THROTTLE)
        self.paused[sender] = resume_at
        self.held.append((item.message_id, resume_at))
        return None

    def _late(self) -> list[Claimed]:
        """The paced texts that missed their slot on the sending thread: each tries for
        another, up to LATE_TRIES times, then waits in the queue for a moment."""
        again = []
        for item in self.late:
            self.tries[item.message_id] += 1
            if self.tries[item.message_id] < LATE_TRIES:
                again.append(item)
            else:
                self.held.append((item.message_id, self.clock() + DEFAULT_THROTTLE))
        self.late = []
        return again

    def _moment(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _collect(self, finished: list[Attempt], may_record: bool = True) -> None:
        for attempt in finished:
            error = attempt.error
            if attempt.late:
                self.late.append(attempt.claimed)
                continue
            if isinstance(error, Throttled):
                wait_for = min(MAX_THROTTLE, error.retry_after or DEFAULT_THROTTLE)
                until = self.clock() + max(0.0, wait_for)
                sender = attempt.claimed.limits.sender_id
                if until > self.paused.get(sender, 0.0):
                    self.paused[sender] = until
                    self.pace.throttle(sender, until)
                self.held.append((attempt.claimed.message_id, until))
                self.tally["throttled"] += 1
                continue
            self.done.append(attempt)
        if may_record and (len(self.done) >= RECORD_EVERY
                           or time.monotonic() - self.recorded_at > RECORD_SECONDS):
            self._record()

    def _record(self, force: bool = False) -> None:
        if self.done or force:
            record(self.app, self.done, self.tally, self.now, self.later)
            self.done, self.recorded_at = [], time.monotonic()


def _opted_out_since(reader: sa.Connection, seq: int, remaining: Iterable[Claimed]) -> set[int]:
    contact_ids = {c.contact_id for c in remaining}
    changed = reader.scalars(sa.select(ConsentEvent.contact_id).where(
        ConsentEvent.seq > seq, ConsentEvent.action == "opt_out",
        one_of(reader, ConsentEvent.contact_id, contact_ids)))
    return set(changed)


def _attempt(app: Flask, provider: Provider, item: Claimed,
             deadline: float | None = None) -> Attempt:
    """One provider call, on a thread of the pool, in the app's context as before; a paced
    text is not sent after ``deadline`` (``time.monotonic``) but comes back ``late``."""
    with app.app_context():
        return _call(provider, item, deadline)


def _call(provider: Provider, item: Claimed, deadline: float | None = None) -> Attempt:
    try:
        if item.reconcile_first and provider.capabilities.can_reconcile:
            found = provider.find_sent(item.text)
            if found is not None:
                return Attempt(item, result=found)
            item = replace(item, reconcile_first=False)  # asked: not there; no need again
        if deadline is not None and time.monotonic() > deadline:
            return Attempt(item, late=True)
        return Attempt(item, result=provider.send(item.text))
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
        return Attempt(item, error=error)


def _release(ids: list[int]) -> None:
    with db.sessionmaker() as session, session.begin():
        session.execute(sa.update(Message).where(Message.id.in_(ids), Message.status == "sending")
                        .values(status="queued", attempts=Message.attempts - 1))


def _hold(held: list[tuple[int, float]], later: list[tuple[int, datetime]]) -> None:
    """Back to the queue, not counted as an attempt, until the sender may send again."""
    rows = [{"message_id": message_id, "at": datetime.fromtimestamp(at, UTC)}
            for message_id, at in held]
    with db.sessionmaker() as session, session.begin():
        session.connection().execute(
            sa.update(Message.__table__)
            .where(Message.__table__.c.id == sa.bindparam("message_id"),
                   Message.__table__.c.status == "sending")
            .values(status="queued", send_after=sa.bindparam("at"),
                    attempts=Message.__table__.c.attempts - 1), rows)
    later += [(row["message_id"], row["at"]) for row in rows]


def record(app: Flask, attempts: list[Attempt], tally: Counter, now: datetime,
           later: list[tuple[int, datetime]]) -> None:
    """Write the outcome of each attempt; a delivery receipt that came first is kept."""
    if not attempts:
        return
    done = [a for a in attempts if a.result is not None]
    failed = [a for a in attempts if a.result is None]
    with db.sessionmaker() as session, session.begin():
        if done:
            session.connection().execute(
                sa.update(Message.__table__)
                .where(Message.__table__.c.id == sa.bindparam("message_id"))
                .values(provider_message_id=sa.bindparam("provider_id"),
                        phone=sa.bindparam("to"),  # the number the gate judged and we texted
                        status=sa.case((Message.__table__.c.status == "sending",
                                        sa.bindparam("new_status")),
                                       else_=Message.__table__.c.status),
                        error_code=None, last_error=None, updated_at=now),
                [{"message_id": a.claimed.message_id, "provider_id": a.result.provider_message_id,
                  "new_status": a.result.status, "to": a.claimed.text.to} for a in done])
            tally["sent"] += len(done)
        for attempt in failed:
            message = session.get(Message, attempt.claimed.message_id)
            tally[_failure(app, session, message, attempt.error, now)] += 1
            if message.status == "queued":
                later.append((message.id, message.send_after))


def _failure(app: Flask, session: Session, message: Message, error: Exception,
             now: datetime) -> str:
    message.last_error = f"{type(error).__name__}: {error}"
    message.error_code = getattr(error, "code", None)
    provider = app.extensions["consentdesk"].providers[message.provider]
    if isinstance(error, PermanentFailure):
        message.status = "failed"
        outcomes.apply(app, session, provider, message, message.error_code, now,
                       "refused when sent",
                       OPTED_OUT if isinstance(error, RecipientOptedOut) else None)
        return "failed"
    uncertain = not isinstance(error, TemporaryFailure) or error.uncertain
    if uncertain and not provider.capabilities.can_reconcile:
        message.status = "dead"
        message.last_error = (f"{message.last_error} — the provider may have accepted it and "
                              "cannot be asked, so it is not resent automatically")
        return "dead"
    if uncertain:
        message.error_code = UNCERTAIN
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "dead"
        return "dead"
    message.status, message.send_after = "queued", now + backoff(message.attempts)
    return "retry"


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 30 s, 1 min, 2 min... capped at an hour."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return ceiling * random.uniform(0.5, 1.0)


def recover(app: Flask, now: datetime | None = None,
            lease: timedelta = SENDING_LEASE) -> Counter:
    """Settle rows left ``sending`` by a crash: ask the provider before anything is resent."""
    now = now or utcnow()
    tally: Counter = Counter()
    providers = app.extensions["consentdesk"].providers
    with db.sessionmaker() as session, session.begin():
        stuck = session.scalars(sa.select(Message).where(
            Message.status == "sending", Message.dispatched_at < now - lease)
            .options(selectinload(Message.sender))).all()
        for message in stuck:
            provider = providers.get(message.provider or "")
            if provider is None or not provider.capabilities.can_reconcile:
                _dead(message, "left sending by a crash; the provider cannot say whether it "
                               "was sent, so it is not resent automatically")
                tally["dead"] += 1
                continue
            text = text_for(app, message.id, message.idempotency_key, message.phone,
                            message.sender.address, message.body, provider.name,
                            message.dispatched_at)
            try:
                found = provider.find_sent(text)
            except Exception as error:  # noqa: BLE001 - try again at the next sweep
                message.last_error = f"reconcile failed: {error}"
                tally["unknown"] += 1
                continue
            if found is not None:
                with allow_writes(session, "Message.provider_message_id"):
                    message.status = found.status
                    message.provider_message_id = found.provider_message_id
                    session.flush()
                tally["found"] += 1
            else:
                message.status = "queued"  # never reached the provider: the gate judges it again
                tally["requeued"] += 1
    return tally


def retry_dead(session: Session, ids: Iterable[int]) -> list[int]:
    """An admin's "retry": dead rows go back to the queue with a fresh attempt count."""
    rows = session.scalars(sa.select(Message).where(Message.id.in_(list(ids)),
                                                    Message.status == "dead")).all()
    for message in rows:
        message.status, message.attempts, message.send_after = "queued", 0, None
        message.error_code = None
    return [m.id for m in rows]
