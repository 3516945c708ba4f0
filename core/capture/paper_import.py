"""A stack of signed paper forms at once: a CSV with one row per form, each naming its scan in
a folder. Every row stands alone: a bad row (no such scan, not a PDF/JPEG/PNG, a bad number, an
unknown message type) is reported with its line and records nothing, the others are recorded.
Running the same file again records nothing new."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.capture import paper
from core.consent import ConsentRefused
from core.models import Campaign, ConsentEvent, Contact, Disclosure, MessageType
from core.phone import InvalidPhone, to_e164

REQUIRED = ("file", "phone", "message_types", "signed_on", "disclosure")
OPTIONAL = ("disclosure_version", "first_name", "last_name", "campaign", "note")


class RowProblem(ValueError):
    pass


@dataclass
class Report:
    imported: int = 0  # opt-in events recorded
    forms: int = 0  # rows recorded
    duplicates: int = 0  # rows whose opt-ins were already recorded from the same scan
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "forms": self.forms, "duplicates": self.duplicates,
                "errors": [{"line": line, "reason": reason} for line, reason in self.errors]}


def run(session: Session, app: Flask, folder: Path, stream: TextIO, actor: str,
        document_url: str) -> Report:
    """Record every row of ``stream``; ``document_url`` has ``{sha256}`` for the scan's hash."""
    report = Report()
    reader = csv.DictReader(stream)
    header = [_name(name) for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.errors.append((1, "the header lacks " + ", ".join(missing) +
                              " (columns: " + ", ".join(REQUIRED + OPTIONAL) + ")"))
        return report
    folder = folder.resolve()
    for values in reader:
        line = reader.line_num
        row = {_name(key): (value or "").strip() for key, value in values.items()
               if key is not None and isinstance(value, str)}
        try:
            with session.begin_nested():
                recorded = _record(session, app, folder, row, actor, document_url)
        except (RowProblem, paper.DocumentRefused, ConsentRefused, InvalidPhone) as error:
            report.errors.append((line, str(error)))
            continue
        if recorded:
            report.imported += recorded
            report.forms += 1
        else:
            report.duplicates += 1
    session.commit()
    return report


def _name(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def _record(session: Session, app: Flask, folder: Path, row: dict[str, str], actor: str,
            document_url: str) -> int:
    for name in REQUIRED:
        if not row.get(name):
            raise RowProblem(f"{name} is empty")
    phone = to_e164(row["phone"])
    types = _types(session, row["message_types"])
    signed_on = _date(row["signed_on"])
    disclosure = _disclosure(session, row["disclosure"], row.get("disclosure_version"))
    campaign_id = _campaign(session, row.get("campaign"))
    document = paper.store(session, _scan(folder, row["file"]), row["file"], actor)
    already = set(session.scalars(
        sa.select(ConsentEvent.message_type_id).join(Contact)
        .where(Contact.phone == phone, ConsentEvent.action == "opt_in",
               ConsentEvent.source == paper.SOURCE,
               ConsentEvent.document_hash == document.sha256)))
    todo = [t for t in types if t.id not in already]
    if not todo:
        return 0
    events = paper.record(session, app, paper.PaperConsent(
        phone=phone, message_types=todo,
        signed_at=datetime.combine(signed_on, time(12, 0), UTC), disclosure=disclosure,
        first_name=row.get("first_name") or None, last_name=row.get("last_name") or None,
        campaign_id=campaign_id, note=row.get("note") or None),
        document, actor, document_url.format(sha256=document.sha256))
    return len(events)


def _scan(folder: Path, name: str) -> bytes:
    """The named file, which must sit in ``folder`` itself (no paths, no way out of it)."""
    if Path(name).name != name or name in (".", ".."):
        raise RowProblem(f"file {name!r} must be a file name in the scans folder, not a path")
    path = folder / name
    if not path.is_file():
        raise RowProblem(f"no file {name!r} in {folder}")
    with path.open("rb") as scan:
        return scan.read(paper.MAX_BYTES + 1)


def _types(session: Session, text: str) -> list[MessageType]:
    slugs = [slug for slug in re.split(r"[\s,;|]+", text.lower()) if slug]
    known = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise RowProblem(f"unknown message type(s) {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(known))})")
    return list(dict.fromkeys(known[slug] for slug in slugs))


def _date(text: str) -> date:
    try:
        signed = date.fromisoformat(text)
    except ValueError:
        raise RowProblem(f"signed_on {text!r} is not a date like 2026-03-31") from None
    if signed > datetime.now(UTC).date():
        raise RowProblem(f"signed_on {text} is in the future")
    return signed


def _disclosure(session: Session, name: str, version: str | None) -> Disclosure:
    query = sa.select(Disclosure).where(Disclosure.name == name)
    if version:
        if not version.isdigit():
            raise RowProblem(f"disclosure_version {version!r} is not a number")
        query = query.where(Disclosure.version == int(version))
    found = session.scalars(query.order_by(Disclosure.version.desc())).first()
    if found is None:
        raise RowProblem(f"no disclosure {name!r}" + (f" version {version}" if version else ""))
    return found


def _campaign(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    found = session.scalars(sa.select(Campaign.id).where(Campaign.name == name)).first()
    if found is None:
        raise RowProblem(f"no campaign {name!r}")
    return found
