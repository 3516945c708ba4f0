"""The few public types a plugin may build or receive.

These are plain data classes: the core turns them into admin pages, report
screens, consent-source checks and message-type rows. Plugins never import
from ``core``; everything they need arrives as one of these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class ReadOnlyData(Protocol):
    """What a report or admin page gets to read the database with."""

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Run one SELECT with named ``:params`` and return its rows as dicts."""
        ...


@dataclass(frozen=True)
class ReportResult:
    """A table: column names and rows of plain values (str, int, float, dates)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Report:
    """A named report shown on the admin Reports page and by ``consentdesk report``.

    ``run`` receives a :class:`ReadOnlyData` and returns a :class:`ReportResult`.
    """

    name: str
    title: str
    run: Callable[[ReadOnlyData], ReportResult]
    description: str = ""


@dataclass(frozen=True)
class AdminPage:
    """An extra page in the admin panel, behind the same login and roles.

    ``render`` receives a :class:`ReadOnlyData` and returns an HTML fragment
    (escape what you interpolate); the core wraps it in the admin layout.
    ``permission`` names the permission a user needs to see it.
    """

    name: str
    endpoint: str
    render: Callable[[ReadOnlyData], str]
    category: str | None = None
    permission: str = "reports:read"


@dataclass(frozen=True)
class ConsentSource:
    """A way a person can give or withdraw consent.

    ``provable`` is False for sources that cannot prove consent (a bought list,
    "partners"): the ledger refuses an opt-in from them. ``evidence`` names the
    evidence fields a record from this source is expected to carry.
    """

    name: str
    label: str
    provable: bool = True
    evidence: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class MessageTypeSpec:
    """A kind of message (a program) that consent is given for.

    ``requires_opt_in``: a send of this type needs a current opt-in for it.
    ``quiet_hours_exempt``: quiet-hour rules do not hold it back.
    """

    slug: str
    name: str
    description: str = ""
    requires_opt_in: bool = True
    quiet_hours_exempt: bool = False


@dataclass(frozen=True)
class KeywordSpec:
    """A keyword, word list or pattern the keyword engine reads inbound texts with.

    ``kind`` is one of:

    - ``opt_out``, ``help``, ``opt_in``: a keyword that is the whole message ("STOP");
    - ``filler``: a word that may stand beside a keyword without changing it ("please");
    - ``phrase``: a revocation pattern found anywhere in a message ("{halt} {messaging}"
      reads "stop texting"); ``harmless``: an ordinary reading of the same words ("stop by");
      ``doubt``: a text a person must decide; ``join``: an opt-in in a sentence ("sign me
      up"); ``event``: a reply a flow acts on, ``meaning`` being the event
      ("appointment.cancel_requested");
    - ``slot``: comma-separated words a pattern names as ``{meaning}``; a slot may hold
      ``{other}`` to include another slot; ``spelling``: comma-separated misspellings of
      ``meaning``; ``type``: comma-separated words naming the message type ``meaning``
      ("promos" -> marketing); ``total``: words that make a revocation cover every type;
      ``trigger``: words that, unexplained by any pattern, send a text to review;
      ``fuzzy`` and ``near_miss``: long words the speller may correct, and real words it
      must not turn into them; ``skip``: words dropped before patterns are read ("really").

    Patterns are words separated by spaces: ``a|b`` either word, ``{slot}``, ``!{slot}``
    (one word outside the slot), ``...`` (up to three words), ``^``/``$`` (clause start and
    end), ``?`` after any of them for optional. See ``core.keywords.patterns``.
    """

    kind: str
    text: str
    language: str = "en"
    meaning: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """What a gate rule sees of a message about to be sent."""

    phone: str
    message_type: str
    body: str
    brand: str | None
    state: str | None
    local_time: Any
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class GateRule:
    """An extra compliance rule. ``check`` returns one sentence per problem; any blocks the send."""

    name: str
    check: Callable[[OutgoingMessage], Sequence[str]]


SEVERITIES = ("blocks", "likely", "advice")


@dataclass(frozen=True)
class RegistrationRule:
    """One check a campaign's registration must pass before it is submitted.

    ``id`` is stable and readable (``message_flow.opt_in_location``); ``field`` names the
    field it reads (``description``, ``message_flow``, ``samples``, ``call_to_action``,
    ``terms``, ``privacy``, ``opt_in_reply``, ``opt_out_reply``, ``help_reply``,
    ``keywords``, ``website``, or ``links`` for every text at once). ``check`` receives the
    registration (its text fields as attributes: ``message_flow``, ``samples``,
    ``brand_names``, ``use_case``, ``opt_in_keywords``, ``sources``...) and returns one
    sentence per problem, empty when it passes. ``severity`` is ``"blocks"`` (submission
    would be refused), ``"likely"`` (a reviewer will likely reject it) or ``"advice"``;
    ``group`` is ``"registry"`` for the registries' documented field limits and ``"review"``
    for stricter pre-submission rules. ``message`` explains the rule, ``fix`` says how to
    meet it and ``source`` says where it comes from."""

    id: str
    field: str
    check: Callable[[Any], Sequence[str]]
    severity: str
    message: str
    fix: str
    source: str
    group: str = "review"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity must be one of {SEVERITIES}")
        if self.group not in ("registry", "review"):
            raise ValueError(f"{self.id}: group must be 'registry' or 'review'")


@dataclass(frozen=True)
class EventType:
    """An event that can trigger a flow, e.g. ``order.created``.

    ``fields`` names the payload keys templates may use as ``[event.<field>]``; ``time_field``
    is the payload key holding the moment the event is about (an appointment's start), which
    ``[date]``, ``[time]`` and waits like "24 h before" refer to."""

    name: str
    description: str
    fields: tuple[str, ...] = ()
    time_field: str | None = None


Settings = Mapping[str, Any]
