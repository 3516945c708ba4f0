"""CSV import of consent records, validated row by row and written in bulk.

Columns (header names; only ``phone``, ``message_type`` and ``occurred_at`` are required):

    phone, message_type, action (opt_in | opt_out, default opt_in), occurred_at (ISO-8601
    with offset), source (default csv_import), source_detail, disclosure (name),
    disclosure_version (default: the latest), page_url, document_url, ip, user_agent,
    first_name, last_name, email

A bad row is reported with its line number and reason and the others import. Each row
gets an ``external_id`` derived from its content, so importing the same file twice adds
nothing. Rows are chained, derived and suppressed exactly as the ledger does one by one
(``consentdesk consent verify`` and ``rebuild`` agree afterwards); the bulk path only
saves round trips.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.consent import chain, suppression
from core.consent.import_rows import Row, RowParser, parse_chunks
from core.consent.ledger import OPT_OUT_REASON, state_rows
from core.db import fast_insert, utcnow
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


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates,
                "errors": [{"line": line, "reason": reason} for line, reason in self.errors]}


class Importer:
    def __init__(self, session: Session, sources: dict[str, ConsentSource],
                 suppression_key: str, actor: str, region: str = "US") -> None:
        self.session = session
        self.key = suppression_key
        self.actor = actor
        self.types = {t.slug: t.id for t in session.scalars(sa.select(MessageType))}
        disclosures: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for d in session.scalars(sa.select(Disclosure).order_by(Disclosure.version)):
            disclosures[d.name].append((d.version, d.id, d.content_hash))
        self.parser = RowParser(types=self.types, disclosures=dict(disclosures),
                                provable={name: s.provable for name, s in sources.items()},
                                region=region)

    def run(self, stream: IO[str], batch_size: int = 5000, workers: int = 0) -> ImportReport:
        """Import ``stream``; ``workers`` > 0 validates rows in that many other processes
        while this one writes (the writer is sequential: the chain is one line)."""
        report = ImportReport()
        reader = csv.DictReader(stream)
        missing = {"phone", "message_type", "occurred_at"} - set(reader.fieldnames or ())
        if missing:
            report.errors.append((1, f"missing column(s): {', '.join(sorted(missing))}"))
            return report
        chunks = _batches(enumerate(reader, start=2), batch_size)
        for parsed in parse_chunks(self.parser, chunks, workers):
            rows = []
            for item in parsed:
                if isinstance(item, Row):
                    rows.append(item)
                else:
                    report.errors.append(item)
            if rows:
                self._write(rows, report)
        return report

    # Writing, one batch at a time.

    def _write(self, rows: list[Row], report: ImportReport) -> None:
        session = self.session
        unique = {row.key: row for row in rows}
        report.duplicates += len(rows) - len(unique)
        seen = set(session.scalars(sa.select(ConsentEvent.external_id)
                                   .where(ConsentEvent.external_id.in_(list(unique)))))
        fresh = [row for key, row in unique.items() if key not in seen]
        report.duplicates += len(unique) - len(fresh)
        if not fresh:
            return
        contacts, new_contacts = self._contacts(fresh)
        head = chain.lock_head(session)
        now = utcnow()
        events, evidence = [], []
        for row in sorted(fresh, key=lambda r: r.line):
            event = SimpleNamespace(
                contact_id=contacts[row.phone], message_type_id=row.type_id, action=row.action,
                source=row.source, source_detail=row.source_detail,
                disclosure_id=row.disclosure_id,
                disclosure_hash=row.disclosure_hash,
                page_url=row.values.get("page_url"), document_url=row.values.get("document_url"),
                occurred_at=row.occurred_at, recorded_at=now, actor=self.actor,
                campaign_id=None, flow_id=None, provider_message_id=None, external_id=row.key)
            personal = SimpleNamespace(
                nonce=chain.new_nonce(), phone=row.phone, first_name=row.values.get("first_name"),
                last_name=row.values.get("last_name"), email=row.values.get("email"),
                ip=row.values.get("ip"), user_agent=row.values.get("user_agent"),
                keyword_text=None)
            chain.link(head, event, personal)
            events.append(event)
            evidence.append(personal)
        session.flush()  # the head
        fast_insert(session, ConsentEvent.__table__, [vars(e) for e in events])
        ids = dict(session.execute(sa.select(ConsentEvent.seq, ConsentEvent.id).where(
            ConsentEvent.seq.between(events[0].seq, events[-1].seq))).all())
        for event, personal in zip(events, evidence, strict=True):
            event.id = personal.event_id = ids[event.seq]
        fast_insert(session, ConsentEvidence.__table__, [vars(p) for p in evidence])
        self._suppressions(fresh, set(new_contacts))
        fresh_ids = {contacts[p] for p in new_contacts}
        self._derive_new(fresh_ids, events)
        derive_states(session, {contacts[row.phone] for row in fresh} - fresh_ids,
                      list(self.types.values()))
        report.imported += len(fresh)

    def _derive_new(self, contact_ids: set[int], events: list[SimpleNamespace]) -> None:
        """Contacts created by this batch have no other events: fold them in memory."""
        by_contact: dict[int, list[SimpleNamespace]] = defaultdict(list)
        for event in events:
            if event.contact_id in contact_ids:
                by_contact[event.contact_id].append(event)
        rows = state_rows(by_contact, self.types.values())
        if rows:
            fast_insert(self.session, Consent.__table__, rows)

    def _contacts(self, rows: list[Row]) -> tuple[dict[str, int], list[str]]:
        phones = {row.phone: row for row in rows}
        found = dict(self.session.execute(
            sa.select(Contact.phone, Contact.id).where(Contact.phone.in_(list(phones)))).all())
        new = [p for p in phones if p not in found]
        if new:
            now = utcnow()
            self.session.execute(sa.insert(Contact.__table__), [
                {"phone": p, "phone_hmac": suppression.phone_hmac(self.key, p),
                 "timezone": phones[p].timezone, "tags": [], "attributes": {},
                 "first_name": phones[p].values.get("first_name"),
                 "last_name": phones[p].values.get("last_name"),
                 "email": phones[p].values.get("email"), "created_at": now} for p in new])
            found.update(self.session.execute(
                sa.select(Contact.phone, Contact.id).where(Contact.phone.in_(new))).all())
        return found, new

    def _suppressions(self, rows: list[Row], new_phones: set[str]) -> None:
        """The same rule as the ledger: an opt-out of everything suppresses unless a later
        opt-in exists; an opt-in lifts only an older suppression."""
        by_phone: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            by_phone[row.phone].append(row)
        hmacs = {phone: suppression.phone_hmac(self.key, phone) for phone in by_phone}
        current = {s.phone_hmac: s for s in self.session.scalars(
            sa.select(Suppression).where(Suppression.phone_hmac.in_(list(hmacs.values()))))}
        for phone, phone_rows in by_phone.items():
            row_hmac = hmacs[phone]
            for row in sorted(phone_rows, key=lambda r: r.occurred_at):
                existing = current.get(row_hmac)
                if row.action == "opt_out" and row.type_id is None:
                    later = any(r.action == "opt_in" and r.occurred_at > row.occurred_at
                                for r in phone_rows)
                    if not later and (phone in new_phones
                                      or not self._opted_in_after(phone, row.occurred_at)):
                        if existing is None:
                            current[row_hmac] = Suppression(phone_hmac=row_hmac,
                                                            reason=OPT_OUT_REASON,
                                                            source=row.source,
                                                            since=row.occurred_at)
                            self.session.add(current[row_hmac])
                        elif existing.since < row.occurred_at:
                            existing.since = row.occurred_at
                elif (row.action == "opt_in" and existing is not None
                      and existing.reason == OPT_OUT_REASON and existing.since < row.occurred_at):
                    self.session.delete(existing)
                    del current[row_hmac]
        self.session.flush()

    def _opted_in_after(self, phone: str, moment: datetime) -> bool:
        query = (sa.select(ConsentEvent.id).join(Contact, Contact.id == ConsentEvent.contact_id)
                 .where(Contact.phone == phone, ConsentEvent.action == "opt_in",
                        ConsentEvent.occurred_at > moment))
        return self.session.scalar(query.limit(1)) is not None


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




def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
