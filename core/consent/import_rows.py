"""Validate consent CSV rows: pure functions of the row and a few lookup tables, so they can
run in other processes while the importer writes."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from phonenumbers import timezone as number_timezones

ACTIONS = ("opt_in", "opt_out")
ALL_TYPES = "all"
IN_FLIGHT = 3  # chunks parsed ahead of the writer


@dataclass
class Row:
    line: int
    phone: str
    timezone: str | None
    type_id: int | None
    action: str
    occurred_at: datetime
    source: str
    source_detail: str | None
    disclosure_id: int | None
    disclosure_hash: str | None
    values: dict[str, str | None]
    key: str


class RowError(ValueError):
    pass


@dataclass
class RowParser:
    """Turns a CSV row into a :class:`Row` or a ``(line, reason)`` error."""

    types: dict[str, int]
    disclosures: dict[str, list[tuple[int, int, str]]]  # name -> [(version, id, sha256)]
    provable: dict[str, bool]
    region: str = "US"
    zones: dict[str, str | None] = field(default_factory=dict)

    def parse_chunk(self, chunk: list[tuple[int, dict[str, str]]]) -> list[Row | tuple[int, str]]:
        out: list[Row | tuple[int, str]] = []
        for line, raw in chunk:
            try:
                out.append(self.parse(line, raw))
            except RowError as error:
                out.append((line, str(error)))
        return out

    def parse(self, line: int, raw: dict[str, str]) -> Row:
        value = {k: (v or "").strip() or None for k, v in raw.items() if k}
        phone, timezone = self._phone(value.get("phone"))
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
        occurred_at = _timestamp(value.get("occurred_at"))
        source = value.get("source") or "csv_import"
        if source not in self.provable:
            raise RowError(f"unknown consent source {source!r}")
        disclosure = self._disclosure(value) if action == "opt_in" else None
        if action == "opt_in" and not self.provable[source]:
            raise RowError(f"source {source!r} cannot prove consent")
        if action == "opt_in" and disclosure is None:
            raise RowError("an opt-in needs the disclosure the person saw (disclosure column)")
        disclosure_id, disclosure_hash = disclosure if disclosure else (None, None)
        fingerprint = "|".join(str(x) for x in (
            phone, slug, action, occurred_at.isoformat(), source, value.get("source_detail"),
            disclosure_id))
        return Row(line, phone, timezone, type_id, action, occurred_at, source,
                   value.get("source_detail"), disclosure_id, disclosure_hash, value,
                   "import:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40])

    def _phone(self, raw: str | None) -> tuple[str, str | None]:
        if not raw:
            raise RowError("phone is empty")
        try:
            number = phonenumbers.parse(raw, self.region)
        except phonenumbers.NumberParseException:
            raise RowError(f"{raw!r} is not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise RowError(f"{raw!r} is not a valid phone number")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        # Time zones are remembered per +CC/area code/exchange prefix (the finest prefix the
        # time-zone data uses for North America): a million numbers, a few thousand look-ups.
        prefix = e164[:8]
        if prefix not in self.zones:
            zones = number_timezones.time_zones_for_number(number)
            self.zones[prefix] = zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
        return e164, self.zones[prefix]

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


def parse_chunks(parser: RowParser, chunks: Iterable[list[tuple[int, dict[str, str]]]],
                 workers: int) -> Iterator[list[Row | tuple[int, str]]]:
    """Parsed chunks, in order: here, or in ``workers`` processes a few chunks ahead."""
    if workers <= 0:
        for chunk in chunks:
            yield parser.parse_chunk(chunk)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_start_worker, initargs=(parser,)) as pool:
        pending: list[Future] = []
        for chunk in chunks:
            pending.append(pool.submit(_parse_in_worker, chunk))
            if len(pending) >= IN_FLIGHT + workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


_worker_parser: RowParser | None = None


def _start_worker(parser: RowParser) -> None:
    """Each worker keeps one parser, so its time-zone memo lasts the whole import."""
    global _worker_parser
    _worker_parser = parser


def _parse_in_worker(chunk: list[tuple[int, dict[str, str]]]) -> list[Row | tuple[int, str]]:
    return _worker_parser.parse_chunk(chunk)


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
