"""Validate consent CSV rows and prepare everything about them that the database does not
decide: E.164, state and time zone, suppression HMAC, stored timestamps, the evidence
digest. Pure functions of the row and a few lookup tables, so they run in
other processes while the importer writes; results are plain tuples (cheap to send back)."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import multiprocessing
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from core.consent import chain
from core.consent.ledger import FIRST_SMS_YEAR, VERBAL_REFUSED, VERBAL_SOURCES, impossible_time
from core.consent.suppression import PhoneHmacs
from core.db import stored_instant
from core.location import LocationError, locate
from core.models import ConsentEvent, ConsentEvidence
from core.phone import InvalidPhone, to_e164

ACTIONS = ("opt_in", "opt_out")
ALL_TYPES = "all"
IN_FLIGHT = 3  # chunks parsed ahead of the writer
COLUMNS = ("phone", "message_type", "action", "occurred_at", "source", "source_detail",
           "disclosure", "disclosure_version", "page_url", "document_url", "ip", "user_agent",
           "first_name", "last_name", "email", "postal_code", "state")
ALIASES = {"zip": "postal_code", "zip_code": "postal_code", "zipcode": "postal_code"}
REQUIRED = ("phone", "message_type", "occurred_at")
# The longest value each free-text column may hold (the database's own limits).
LIMITS = {name: column.type.length for table in (ConsentEvent.__table__,
                                                 ConsentEvidence.__table__)
          for name, column in table.columns.items()
          if name in COLUMNS and name != "phone" and getattr(column.type, "length", None)}


class Row(NamedTuple):
    """One valid CSV row, ready for the writer."""

    line: int
    key: str  # external_id: a digest of the row's content, so a re-run adds nothing
    phone: str
    phone_hmac: str
    postal_code: str | None
    state: str | None
    timezone: str | None
    type_id: int | None  # None: an opt-out of every message type
    action: str
    occurred: str  # the instant in canonical form (sorts like the instant)
    occurred_stored: Any  # the instant as the database stores it
    source: str
    source_detail: str | None
    disclosure_id: int | None
    disclosure_hash: str | None
    page_url: str | None
    document_url: str | None
    nonce: str
    first_name: str | None
    last_name: str | None
    email: str | None
    ip: str | None
    user_agent: str | None
    personal_hash: str


class RowError(ValueError):
    pass


@dataclass
class RowParser:
    """Turns a CSV record into a :class:`Row` or a ``(line, reason)`` error."""

    header: list[str]
    types: dict[str, int]
    disclosures: dict[str, list[tuple[int, int, str]]]  # name -> [(version, id, sha256)]
    provable: dict[str, bool]
    suppression_key: str
    actor: str
    recorded_at: datetime
    sqlite: bool
    region: str = "US"

    def __post_init__(self) -> None:
        names = [ALIASES.get(name, name) for name in
                 (name.strip().lower().replace(" ", "_") for name in self.header)]
        self._where = [(name, names.index(name)) for name in COLUMNS if name in names]
        self._limited = [(name, LIMITS[name]) for name, _ in self._where if name in LIMITS]
        self._hmac = PhoneHmacs(self.suppression_key)
        self._instants: dict[str, tuple[str, str, Any]] = {}
        self._nonces: list[str] = []

    def missing(self) -> list[str]:
        present = {name for name, _ in self._where}
        return [name for name in REQUIRED if name not in present]

    def parse_chunk(self, chunk: Chunk, plain: bool = False) -> list[Row | tuple]:
        """Every record of a chunk of CSV text, parsed or refused with its line number.
        ``plain``: rows as plain tuples (cheaper to pickle and build), not :class:`Row`."""
        first, text = chunk
        out: list[Row | tuple] = []
        reader = csv.reader(io.StringIO(text))
        line = first
        for fields in reader:
            if fields:  # blank lines are skipped, as csv.DictReader does
                try:
                    parsed = self.parse(line, fields)
                    out.append(parsed if plain else Row._make(parsed))
                except RowError as error:
                    out.append((line, str(error)))
            line = first + reader.line_num
        return out

    def parse(self, line: int, fields: list[str]) -> tuple:
        """A valid record's :class:`Row` fields, as a plain tuple; :class:`RowError` if not."""
        width = len(fields)
        value = {name: (fields[at].strip() or None) if at < width else None
                 for name, at in self._where}
        for name, limit in self._limited:
            if value[name] and len(value[name]) > limit:
                raise RowError(f"{name} is longer than {limit} characters")
        try:
            phone = to_e164(value.get("phone") or "", self.region)
        except InvalidPhone as error:
            raise RowError(str(error)) from None
        try:
            place = locate(phone, value.get("postal_code"), value.get("state"))
        except LocationError as error:
            raise RowError(str(error)) from None
        slug = (value.get("message_type") or "").lower()
        action = (value.get("action") or "opt_in").lower()
        if action not in ACTIONS:
            raise RowError(f"action {action!r} is not opt_in or opt_out")
        if slug == ALL_TYPES and action == "opt_out":
            type_id = None
        elif slug in self.types:
            type_id = self.types[slug]
        else:
            raise RowError(f"unknown message type {slug!r}")
        written, occurred, occurred_stored = self._instant(value.get("occurred_at"))
        source = value.get("source") or "csv_import"
        if action == "opt_in" and source.strip().lower() in VERBAL_SOURCES:
            raise RowError(VERBAL_REFUSED)
        if source not in self.provable:
            raise RowError(f"unknown consent source {source!r}")
        disclosure = self._disclosure(value) if action == "opt_in" else None
        if action == "opt_in" and not self.provable[source]:
            raise RowError(f"source {source!r} cannot prove consent")
        if action == "opt_in" and disclosure is None:
            raise RowError("an opt-in needs the disclosure the person saw (disclosure column)")
        disclosure_id, disclosure_hash = disclosure if disclosure else (None, None)
        detail = value.get("source_detail")
        fingerprint = f"{phone}|{slug}|{action}|{written}|{source}|{detail}|{disclosure_id}"
        key = "import:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
        personal = {"nonce": self._nonce(), "phone": phone, "keyword_text": None,
                    **{name: value.get(name) for name in
                       ("first_name", "last_name", "email", "ip", "user_agent")}}
        personal_hash = chain.digest(personal)
        return (line, key, phone, self._hmac(phone), value.get("postal_code"), place.state,
                place.timezone, type_id, action, occurred, occurred_stored, source, detail,
                disclosure_id, disclosure_hash, value.get("page_url"), value.get("document_url"),
                personal["nonce"], personal["first_name"], personal["last_name"],
                personal["email"], personal["ip"], personal["user_agent"], personal_hash)

    def _nonce(self) -> str:
        """A fresh 128-bit nonce, cut from random bytes drawn 4,096 at a time."""
        if not self._nonces:
            pool = secrets.token_hex(16 * 4096)
            self._nonces = [pool[n:n + 32] for n in range(0, len(pool), 32)]
        return self._nonces.pop()

    def _instant(self, text: str | None) -> tuple[str, str, Any]:
        """``occurred_at`` as written (its own offset: the import key), as the chain hashes it
        and as the database stores it; remembered, since exports repeat their timestamps."""
        found = self._instants.get(text or "")
        if found is None:
            moment = _timestamp(text)
            utc = moment.astimezone(UTC)
            if impossible_time(utc, self.recorded_at):  # the ledger's own rule
                raise RowError(f"occurred_at {text!r} is in the future: consent cannot be "
                               "recorded before it is given" if utc > self.recorded_at else
                               f"occurred_at {text!r} is before {FIRST_SMS_YEAR}, the first "
                               "text message")
            found = (moment.isoformat(), chain.instant(utc), stored_instant(utc, self.sqlite))
            if len(self._instants) > 100_000:
                self._instants.clear()
            self._instants[text] = found
        return found

    def _disclosure(self, value: dict[str, str | None]) -> tuple[int, str] | None:
        name = value.get("disclosure")
        if not name:
            return None
        versions = self.disclosures.get(name)
        if not versions:
            raise RowError(f"unknown disclosure {name!r}")
        wanted = value.get("disclosure_version")
        if wanted is None:
            return versions[-1][1:]
        match = next((v for v in versions if str(v[0]) == wanted), None)
        if match is None:
            raise RowError(f"disclosure {name!r} has no version {wanted}")
        return match[1:]


Chunk = tuple[int, str]  # (line number of its first record, CSV text of whole records)


def record_chunks(lines: Iterable[str], first_line: int, size: int,
                  unclosed: list[int]) -> Iterator[Chunk]:
    """Cut CSV text into chunks of ``size`` records without parsing it: a record ends at a
    line end outside quotes, and in CSV an even number of quote characters (``""`` is an
    escaped quote) always brings the reader back outside. This keeps the CSV parsing in
    the workers. A quote still open at the end of the file is reported in ``unclosed``."""
    buffer: list[str] = []
    records, start, number, inside = 0, first_line, first_line - 1, False
    for text in lines:
        number += 1
        if not inside:
            opened_at = number
        buffer.append(text)
        if text.count('"') % 2:
            inside = not inside
        if not inside:
            records += 1
            if records >= size:
                yield start, "".join(buffer)
                buffer, records, start = [], 0, number + 1
    if inside:
        unclosed.append(opened_at)
    if buffer:
        yield start, "".join(buffer)


def parse_chunks(parser: RowParser, chunks: Iterable[Chunk],
                 workers: int) -> Iterator[list[Row | tuple[int, str]]]:
    """Parsed chunks, in order: here, or in ``workers`` processes a few chunks ahead."""
    if workers <= 0:
        for chunk in chunks:
            yield parser.parse_chunk(chunk)
        return
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_start_worker, initargs=(parser,)) as pool:
        pending: deque[Future] = deque(
            pool.submit(_parse_in_worker, chunk)
            for chunk in itertools.islice(chunks, IN_FLIGHT + workers))
        # A worker takes a second or two to start (it imports the application): the first
        # chunk is parsed here meanwhile, so the writer starts at once.
        yield parser.parse_chunk(first)
        while pending:
            parsed = pending.popleft().result()
            chunk = next(chunks, None)
            if chunk is not None:
                pending.append(pool.submit(_parse_in_worker, chunk))
            yield _from_worker(parsed)


_worker_parser: RowParser | None = None


def _start_worker(parser: RowParser) -> None:
    """Each worker keeps one parser (and its process's time-zone memo) for the whole import."""
    global _worker_parser
    _worker_parser = parser


def _parse_in_worker(chunk: Chunk) -> list[tuple]:
    # Plain tuples: a named tuple costs five times more to unpickle, in the writer's process.
    return _worker_parser.parse_chunk(chunk, plain=True)


def _from_worker(items: list[tuple]) -> list[Row | tuple[int, str]]:
    return [Row._make(item) if len(item) == ROW_WIDTH else item for item in items]


ROW_WIDTH = len(Row._fields)


def instant_of(row: Row) -> datetime:
    """A row's ``occurred_at`` as a datetime again (the writer needs it only now and then)."""
    return datetime.fromisoformat(row.occurred)  # 10x strptime; years are >= FIRST_SMS_YEAR


def _timestamp(text: str | None) -> datetime:
    if not text:
        raise RowError("occurred_at is empty")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"occurred_at {text!r} is not an ISO-8601 time") from None
    if value.tzinfo is None:
        raise RowError(f"occurred_at {text!r} needs a UTC offset (e.g. 2026-03-01T15:30:00-05:00)")
    return value
