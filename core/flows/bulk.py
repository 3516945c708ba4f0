"""The SQL that writes a bulk send's texts: each row rendered, counted and judged in the database.

A million recipients cannot each pass through Python in the time a send should take (a
Python loop costs more per row than SQLite's insert), so ``core.flows.campaign`` builds one
``INSERT ... SELECT`` from the pieces here:

- :class:`BodySQL`: the template split once in Python (``templates.split_for_many``), its
  per-recipient holes filled by SQL string concatenation, the same on SQLite and PostgreSQL.
  A recipient without a value the template needs gets a ``blocked`` row saying so.
- segments: fixed pieces counted once in Python; a name in plain ASCII letters adds its
  length; any other name leaves ``segments = 0`` for :func:`recount` to settle in Python.
- :class:`WindowsSQL`: quiet hours (and a local sending time) worked out in Python once per
  (time zone, state with its own rule) that exists among the contacts, then applied by CASE.
- branded links: one :class:`~core.models.Link` per send; each recipient's code adds the
  first characters of their phone HMAC (``core.flows.links``).

Property tests hold the SQL rendering and counting to ``templates.render`` and
``segments.count`` on both databases.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import segments
from core.db import JSONType, UTCDateTime
from core.flows import links
from core.gate import rules
from core.gate.check import FALLBACK_ZONE
from core.models import Contact, Message

# Names made only of these count one GSM-7 unit a character, and one UTF-16 unit.
PLAIN_NAME = "A-Za-z0-9 .'-"  # as a GLOB / regular-expression character class
PLAIN_CHARS = frozenset(string.ascii_letters + string.digits + " .'-")
NAME_COLUMNS = {"first_name": Contact.first_name, "last_name": Contact.last_name}
UNCOUNTED = 0  # ``segments`` of a row whose names need Python to count them


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@dataclass
class BodySQL:
    """A template's text for each recipient, as SQL over ``contact``."""

    pieces: list[str | tuple[str]]
    link_prefix: str | None  # ``https://go.brand.example/l/<send code>``
    sqlite: bool
    preferences_prefix: str | None = None  # the same, for the send's preference link

    def body(self) -> Any:
        parts = []
        for piece in self.pieces:
            if isinstance(piece, str):
                parts.append(sa.literal(piece, sa.Text))
            elif piece[0] == "branded link":
                parts.append(sa.literal(self.link_prefix, sa.Text) + links.recipient_part_sql())
            elif piece[0] == "preferences link":
                parts.append(sa.literal(self.preferences_prefix, sa.Text)
                             + links.recipient_part_sql())
            else:
                parts.append(sa.func.coalesce(NAME_COLUMNS[piece[0]], ""))
        if not parts:
            return sa.literal("", sa.Text)
        text = parts[0]
        for part in parts[1:]:
            text = text + part
        return text

    def names(self) -> list[str]:
        """The per-recipient names the template uses, in order of first use."""
        seen: list[str] = []
        for piece in self.pieces:
            if isinstance(piece, tuple) and piece[0] in NAME_COLUMNS and piece[0] not in seen:
                seen.append(piece[0])
        return seen

    def missing(self) -> list[tuple[Any, str]]:
        """(condition, reason) per combination of names a recipient may lack, worst first:
        the reason is the one ``templates.render`` would give."""
        names, found = self.names(), []
        for mask in range(2 ** len(names) - 1, 0, -1):
            lacking = [name for bit, name in enumerate(names) if mask >> bit & 1]
            having = [name for name in names if name not in lacking]
            condition = sa.and_(*(_empty(name) for name in lacking),
                                *(sa.not_(_empty(name)) for name in having))
            found.append((condition, "no value for " + ", ".join(f"[{n}]" for n in lacking)))
        return found

    def segment_count(self) -> tuple[Any, str]:
        """(SQL for ``segments``, encoding) for rows whose names are plain; others get
        :data:`UNCOUNTED`."""
        fixed = "".join(p if isinstance(p, str) else self._fixed_hole(p[0]) for p in self.pieces)
        counted = segments.count(fixed)
        single, part = (160, 153) if counted.encoding == "GSM-7" else (70, 67)
        units: Any = sa.literal(counted.characters, sa.Integer)
        plain: list[Any] = []
        for piece in self.pieces:
            if isinstance(piece, tuple) and piece[0] in NAME_COLUMNS:
                value = sa.func.coalesce(NAME_COLUMNS[piece[0]], "")
                units = units + sa.func.length(value)
                plain.append(self._plain(value))
        many = (units + (part - 1)) // part
        count = sa.case((units <= single, 1), else_=many)
        if plain:
            count = sa.case((sa.and_(*plain), count), else_=UNCOUNTED)
        return count, counted.encoding

    def _fixed_hole(self, name: str) -> str:
        if name == "branded link":
            return f"{self.link_prefix}{'0' * links.RECIPIENT_CHARS}"  # hex digits: GSM-7
        if name == "preferences link":
            return f"{self.preferences_prefix}{'0' * links.RECIPIENT_CHARS}"
        return ""

    def _plain(self, value: Any) -> Any:
        if self.sqlite:
            return sa.not_(value.op("GLOB", is_comparison=True)(f"*[^{PLAIN_NAME}]*"))
        return value.op("!~", is_comparison=True)(f"[^{PLAIN_NAME}]")


def _empty(name: str) -> Any:
    return sa.func.coalesce(NAME_COLUMNS[name], "") == ""


def recount(session: Session, ids: list[int]) -> None:
    """Count the segments of rows left :data:`UNCOUNTED` (names beyond plain ASCII)."""
    for start in range(0, len(ids), 5000):
        rows = session.execute(sa.select(Message.id, Message.body)
                               .where(Message.id.in_(ids[start:start + 5000]))).all()
        session.execute(sa.update(Message), [
            {"id": row.id, "segments": (c := segments.count(row.body)).segments,
             "encoding": c.encoding} for row in rows])


# Each send's windows, joined to the audience (a join costs less than CASE expressions
# evaluated three times a row); a temporary table, created and dropped in the send's
# transaction, so nothing is left behind if the send fails.
WINDOWS = sa.Table(
    "send_window", sa.MetaData(),
    sa.Column("zone", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(2), primary_key=True),
    sa.Column("status", sa.String(12)),
    sa.Column("block_reasons", JSONType),
    sa.Column("send_after", UTCDateTime()),
    prefixes=["TEMPORARY"],
)


class WindowsSQL:
    """Quiet hours and a local sending time, decided once per (zone, state with a rule).

    Use as a context manager: the windows that hold or explain a row are written to
    :data:`WINDOWS` on entry, and dropped on exit."""

    def __init__(self, session: Session, at: datetime, local_time: time | None, exempt: bool):
        self.session, self.at, self.local_time, self.exempt = session, at, local_time, exempt
        ruled = sorted(rules.states_with_rules())
        self.zone = sa.func.coalesce(Contact.timezone, FALLBACK_ZONE)
        self.state = sa.case((Contact.state.in_(ruled), Contact.state), else_="")
        combos = session.execute(sa.select(self.zone, self.state).distinct()
                                 .where(Contact.phone.is_not(None))).all()
        self.rows = []
        for zone, state in combos:
            send_after, reasons = self.window(zone, state or None)
            if send_after is not None or reasons:
                self.rows.append({"zone": zone, "state": state, "block_reasons": reasons,
                                  "status": "deferred" if send_after else "queued",
                                  "send_after": send_after})

    def __enter__(self) -> WindowsSQL:
        if self.rows:
            self.session.execute(sa.schema.CreateTable(WINDOWS))
            self.session.execute(sa.insert(WINDOWS), self.rows)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.rows and exc[0] is None:
            self.session.execute(sa.schema.DropTable(WINDOWS))

    def window(self, zone: str, state: str | None) -> tuple[datetime | None, list[str]]:
        """When a text to someone in ``zone`` and ``state`` may go, if later than now, and why."""
        local = self.at.astimezone(ZoneInfo(zone))
        earliest = local
        reasons: list[str] = []
        if self.local_time is not None:
            earliest = datetime.combine(local.date(), self.local_time, local.tzinfo)
            if earliest < local:
                earliest += timedelta(days=1)
            reasons.append(f"scheduled: {self.local_time:%H:%M} in {zone}")
        if not self.exempt:
            allowed, window = rules.next_allowed(earliest, state)
            if allowed != earliest:
                reasons.append(f"quiet_hours: {earliest:%H:%M} is outside "
                               f"{window.start:%H:%M}-{window.end:%H:%M} ({window.rule})")
            earliest = allowed
        return (earliest if earliest > local else None), reasons

    def join(self, query: sa.Select) -> sa.Select:
        """``query`` (over ``contact``) with each row's window, if it has one."""
        if not self.rows:
            return query
        return query.outerjoin(WINDOWS, sa.and_(WINDOWS.c.zone == self.zone,
                                                WINDOWS.c.state == self.state))

    def columns(self, missing: list[tuple[Any, str]]) -> tuple[Any, Any, Any]:
        """SQL for ``status``, ``block_reasons`` and ``send_after`` (after :meth:`join`)."""
        if self.rows:
            status = sa.func.coalesce(WINDOWS.c.status, "queued")
            reasons = sa.func.coalesce(WINDOWS.c.block_reasons, _json([]))
            after = WINDOWS.c.send_after
        else:
            status, reasons, after = sa.literal("queued"), _json([]), sa.null()
        if missing:
            status = sa.case(*((cond, "blocked") for cond, _ in missing), else_=status)
            reasons = sa.case(*((cond, _json([f"template: {reason}"])) for cond, reason
                                in missing), else_=reasons)
        return status, reasons, after


def _json(value: list[str]) -> Any:
    return sa.literal(value, JSONType)
