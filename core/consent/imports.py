"""CSV import of consent records, validated row by row and written in bulk.

Columns (header names; only ``phone``, ``message_type`` and ``occurred_at`` are required):

    phone, message_type, action (opt_in | opt_out, default opt_in), occurred_at (ISO-8601
    with offset), source (default csv_import), source_detail, disclosure (name),
    disclosure_version (default: the latest), page_url, document_url, ip, user_agent,
    first_name, last_name, email, postal_code (or zip), state

A new contact's state and time zone come from its ZIP code, else its state, else its number
(``core.location``).

A bad row is reported with its line number and reason and the others import. Each row
gets an ``external_id`` derived from its content, so importing the same file twice adds
nothing. Rows are chained, derived and suppressed exactly as the ledger does one by one
(``consentdesk consent verify`` and ``rebuild`` agree afterwards); the bulk path only
saves round trips.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.consent import chain
from core.consent.import_rows import Row, RowParser, instant_of, parse_chunks, record_chunks
from core.consent.ledger import OPT_OUT_REASON, fold, state_after, state_after_sql, state_rows
from core.db import (
    fast_insert,
    gc_paused,
    insert_rows,
    one_of,
    reserve_ids,
    sqlite_cache,
    stored,
    utcnow,
)
from core.models import (
    Consent,
    ConsentEvent,
    ConsentEvidence,
    Contact,
    Disclosure,
    MessageType,
    Suppression,
)
from hooks.types import ConsentSource

EVENT_KEYS = ["id", "seq", "contact_id", "message_type_id", "action", "source", "source_detail",
              "disclosure_id", "disclosure_hash", "page_url", "document_url", "occurred_at",
              "recorded_at", "actor", "external_id", "personal_hash", "prev_hash", "hash"]
EVIDENCE_KEYS = ["event_id", "nonce", "phone", "first_name", "last_name", "email", "ip",
                 "user_agent"]
CONTACT_KEYS = ["id", "phone", "phone_hmac", "postal_code", "state", "timezone", "first_name",
                "last_name", "email", "tags", "attributes", "created_at"]
CONSENT_KEYS = ["contact_id", "message_type_id", "state", "since", "last_event_id"]
COMMIT_EVERY = 2.0  # seconds: commits cost (each writes every page the batch touched)
# A million-row import's indexes outgrow the default 64 MiB page cache; past that, every
# random-key insert (hashes, HMACs) reads a page back from disk.
CACHE_MIB = 512


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates,
                "errors": [{"line": line, "reason": reason} for line, reason in self.errors]}


class _Written(NamedTuple):
    """What :func:`core.consent.ledger.fold` needs of an event written in this batch."""

    id: int
    seq: int
    message_type_id: int | None
    action: str
    occurred_at: Any  # stored form: sorts like the instant


class Importer:
    def __init__(self, session: Session, sources: dict[str, ConsentSource],
                 suppression_key: str, actor: str, region: str = "US") -> None:
        self.session = session
        self.key = suppression_key
        self.actor = actor
        self.region = region
        self.sources = sources
        self.types = {t.slug: t.id for t in session.scalars(sa.select(MessageType))}
        self.disclosures: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for d in session.scalars(sa.select(Disclosure).order_by(Disclosure.version)):
            self.disclosures[d.name].append((d.version, d.id, d.content_hash))
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def run(self, stream: IO[str], batch_size: int = 20000, workers: int = 0,
            commit: bool = True) -> ImportReport:
        """Import ``stream``; ``workers`` > 0 validates rows in that many other processes
        while this one writes (the writer is sequential: the chain is one line).

        With ``commit`` whole batches are committed every ``COMMIT_EVERY`` seconds: other
        writers (an inbound STOP) never wait longer for the database, and a run cut short
        is finished by running it again."""
        report = ImportReport()
        lines = iter(stream)
        header, lines_read = _header(lines)
        self.recorded_at = utcnow()
        parser = RowParser(
            header=header, types=self.types, disclosures=dict(self.disclosures),
            provable={name: s.provable for name, s in self.sources.items()},
            suppression_key=self.key, actor=self.actor, recorded_at=self.recorded_at,
            sqlite=self.sqlite, region=self.region)
        if parser.missing():
            report.errors.append((1, f"missing column(s): {', '.join(parser.missing())}"))
            return report
        unclosed: list[int] = []
        chunks = record_chunks(lines, lines_read + 1, batch_size, unclosed)
        committed = time.monotonic()
        with gc_paused(), sqlite_cache(self.session, CACHE_MIB) as tune:
            for parsed in parse_chunks(parser, chunks, workers):
                rows = []
                for item in parsed:
                    if isinstance(item, Row):
                        rows.append(item)
                    else:
                        report.errors.append(item)
                if rows:
                    tune()
                    self._write(rows, report)
                if commit and time.monotonic() - committed >= COMMIT_EVERY:
                    self.session.commit()
                    committed = time.monotonic()
            if commit:
                self.session.commit()
        report.errors.extend((line, "a quoted value opened on this line is never closed: the "
                                    "rest of the file was read as part of it") for line in unclosed)
        report.errors.sort()
        return report

    # Writing, one batch at a time.

    def _write(self, rows: list[Row], report: ImportReport) -> None:
        session = self.session
        unique = {row.key: row for row in rows}
        report.duplicates += len(rows) - len(unique)
        seen = set(session.scalars(sa.select(ConsentEvent.external_id)
                                   .where(one_of(session, ConsentEvent.external_id, unique))))
        fresh = [row for key, row in unique.items() if key not in seen]
        report.duplicates += len(unique) - len(fresh)
        if not fresh:
            return
        contacts, new_phones = self._contacts(fresh)
        head = chain.lock_head(session)
        recorded = stored(ConsentEvent.recorded_at, self.recorded_at, self.sqlite)
        hashed = {"recorded_at": chain.instant(self.recorded_at), "actor": self.actor,
                  "campaign_id": None, "flow_id": None, "provider_message_id": None}
        seq, prev = head.seq, head.hash
        events, evidence = [], []
        event_ids = reserve_ids(session, ConsentEvent.__table__, len(fresh))
        for row, event_id in zip(fresh, event_ids, strict=True):
            seq += 1
            contact_id = contacts[row.phone]
            digest = chain.digest({  # chain.event_digest's fields, straight from the row
                **hashed, "seq": seq, "contact_id": contact_id,
                "message_type_id": row.type_id, "action": row.action, "source": row.source,
                "source_detail": row.source_detail, "disclosure_id": row.disclosure_id,
                "disclosure_hash": row.disclosure_hash, "page_url": row.page_url,
                "document_url": row.document_url, "occurred_at": row.occurred,
                "external_id": row.key, "personal_hash": row.personal_hash, "prev_hash": prev})
            events.append((event_id, seq, contact_id, row.type_id, row.action, row.source,
                           row.source_detail, row.disclosure_id, row.disclosure_hash,
                           row.page_url, row.document_url, row.occurred_stored, recorded,
                           self.actor, row.key, row.personal_hash, prev, digest))
            evidence.append((event_id, row.nonce, row.phone, row.first_name, row.last_name,
                             row.email, row.ip, row.user_agent))
            prev = digest
        head.seq, head.hash = seq, prev
        session.flush()  # the head
        insert_rows(session, ConsentEvent.__table__, EVENT_KEYS, events)
        insert_rows(session, ConsentEvidence.__table__, EVIDENCE_KEYS, evidence)
        self._suppressions(fresh, new_phones)
        existing = {contacts[row.phone] for row in fresh if row.phone not in new_phones}
        self._derive_new(fresh, events, event_ids, new_phones, existing)
        derive_states(session, existing, list(self.types.values()))
        report.imported += len(fresh)

    def _derive_new(self, rows: list[Row], events: list[tuple], event_ids: list[int],
                    new_phones: set[str], existing: set[int]) -> None:
        """Contacts created by this batch have no other events. One event (the usual case)
        decides on its own, so those states are copied from the events just written by one
        INSERT ... SELECT; a contact with several events in the batch is folded here."""
        if not new_phones:
            return
        counts = Counter(row.phone for row in rows)
        several = {phone for phone, n in counts.items() if n > 1 and phone in new_phones}
        by_contact: dict[int, list[_Written]] = defaultdict(list)
        if several:
            for row, (event_id, seq, contact_id, *_) in zip(rows, events, strict=True):
                if row.phone in several:
                    by_contact[contact_id].append(_Written(event_id, seq, row.type_id,
                                                           row.action, row.occurred_stored))
        type_ids = list(self.types.values())
        self.session.execute(sa.insert(Consent).from_select(CONSENT_KEYS, single_event_states(
            self.session, event_ids, [*by_contact, *existing], type_ids)))
        insert_rows(self.session, Consent.__table__, CONSENT_KEYS, [
            (contact_id, type_id, state_after(deciding), deciding.occurred_at, deciding.id)
            for contact_id, contact_events in by_contact.items()
            for type_id, deciding in fold(contact_events, type_ids).items()])

    def _contacts(self, rows: list[Row]) -> tuple[dict[str, int], set[str]]:
        """Every row's contact id by phone, creating the contacts not seen before."""
        first = {}
        for row in rows:
            first.setdefault(row.phone, row)
        found = dict(self.session.execute(
            sa.select(Contact.phone, Contact.id).where(
                one_of(self.session, Contact.phone, first))).all())
        new = [phone for phone in first if phone not in found]
        ids = reserve_ids(self.session, Contact.__table__, len(new))
        columns = Contact.__table__.c
        empty_tags, empty_attributes, now = (stored(columns.tags, [], self.sqlite),
                                             stored(columns.attributes, {}, self.sqlite),
                                             stored(columns.created_at, utcnow(), self.sqlite))
        insert_rows(self.session, Contact.__table__, CONTACT_KEYS, [
            (contact_id, row.phone, row.phone_hmac, row.postal_code, row.state, row.timezone,
             row.first_name, row.last_name, row.email, empty_tags, empty_attributes, now)
            for contact_id, row in zip(ids, (first[phone] for phone in new), strict=True)])
        found.update(zip(new, ids, strict=True))
        return found, set(new)

    def _suppressions(self, rows: list[Row], new_phones: set[str]) -> None:
        """The same rule as the ledger: an opt-out of everything suppresses unless a later
        opt-in exists; an opt-in lifts only an older suppression."""
        table = Suppression.__table__
        before = {row.phone_hmac: row for row in self.session.execute(
            sa.select(table.c.id, table.c.phone_hmac, table.c.reason, table.c.since)
            .where(one_of(self.session, table.c.phone_hmac, {row.phone_hmac for row in rows})))}
        by_phone: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            if row.phone_hmac in before or (row.action == "opt_out" and row.type_id is None):
                by_phone[row.phone].append(row)
        current: dict[str, dict[str, Any]] = {h: dict(s._mapping) for h, s in before.items()}
        for phone, phone_rows in by_phone.items():
            for row in sorted(phone_rows, key=lambda r: r.occurred):
                existing, moment = current.get(row.phone_hmac), instant_of(row)
                if row.action == "opt_out" and row.type_id is None:
                    later = any(r.action == "opt_in" and r.occurred > row.occurred
                                for r in phone_rows)
                    if later or (phone not in new_phones and self._opted_in_after(phone, moment)):
                        continue
                    if existing is None:
                        current[row.phone_hmac] = {
                            "id": None, "phone_hmac": row.phone_hmac, "reason": OPT_OUT_REASON,
                            "source": row.source, "since": moment, "created_at": utcnow()}
                    elif existing["since"] < moment:
                        existing["since"] = moment
                elif (row.action == "opt_in" and existing is not None
                      and existing["reason"] == OPT_OUT_REASON and existing["since"] < moment):
                    del current[row.phone_hmac]
        fast_insert(self.session, table, [{k: v for k, v in s.items() if k != "id"}
                                          for s in current.values() if s["id"] is None])
        for phone_hmac, old in before.items():
            if phone_hmac not in current:
                self.session.execute(sa.delete(table).where(table.c.id == old.id))
            elif current[phone_hmac]["since"] != old.since:
                self.session.execute(sa.update(table).where(table.c.id == old.id)
                                     .values(since=current[phone_hmac]["since"]))

    def _opted_in_after(self, phone: str, moment: datetime) -> bool:
        query = (sa.select(ConsentEvent.id).join(Contact, Contact.id == ConsentEvent.contact_id)
                 .where(Contact.phone == phone, ConsentEvent.action == "opt_in",
                        ConsentEvent.occurred_at > moment))
        return self.session.scalar(query.limit(1)) is not None


def single_event_states(session: Session, event_ids: list[int], except_contacts: list[int],
                        type_ids: list[int]) -> sa.Select:
    """The ``Consent`` rows that the events just written (``event_ids``, reserved while the
    chain head was locked, so no one else's event lies between them) decide on their own:
    those of every contact but ``except_contacts``, whose only event each is. An event
    decides for its message type, or for every type when it has none."""
    event, kind = ConsentEvent.__table__, MessageType.__table__
    query = (sa.select(event.c.contact_id, kind.c.id, state_after_sql(event.c.action),
                       event.c.occurred_at, event.c.id)
             .select_from(event.join(kind, sa.or_(event.c.message_type_id.is_(None),
                                                  event.c.message_type_id == kind.c.id)))
             .where(event.c.id.between(min(event_ids), max(event_ids)),
                    kind.c.id.in_(type_ids)))
    if except_contacts:
        query = query.where(~one_of(session, event.c.contact_id, except_contacts))
    return query


def derive_states(session: Session, contact_ids: set[int], type_ids: list[int]) -> None:
    """Recompute the ``Consent`` rows of many contacts from their events, in bulk."""
    ids = list(contact_ids)
    for start in range(0, len(ids), 20000):
        chunk = ids[start:start + 20000]
        events: dict[int, list[ConsentEvent]] = defaultdict(list)
        for event in session.scalars(sa.select(ConsentEvent)
                                     .where(ConsentEvent.contact_id.in_(chunk))):
            events[event.contact_id].append(event)
        session.execute(sa.delete(Consent).where(Consent.contact_id.in_(chunk)))
        rows = state_rows(events, type_ids)
        if rows:
            session.execute(sa.insert(Consent.__table__), rows)
    session.expire_all()


def _header(lines: Iterator[str]) -> tuple[list[str], int]:
    """The header record (which may span lines) and how many lines it took."""
    for _line, text in record_chunks(lines, 1, 1, []):
        return next(csv.reader(io.StringIO(text)), []), text.count("\n") or 1
    return [], 0
