"""Message templates with the seeds' placeholders: ``[Brand]``, ``[date]``, ``[branded link]``...

Rendering is a lookup and a string substitution, nothing is evaluated. A placeholder the
renderer does not know is an error when the template is saved (``validate``), never a
literal ``[date]`` on a customer's phone; at render time a known placeholder with no value
(an event without a ``starts_at``) is an error too, and the step records it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.phone import national

PLACEHOLDER = re.compile(r"\[([^\[\]\n]{1,40})\]")
FIXED = {
    "Brand": "the brand's public name",
    "first_name": "the contact's first name",
    "last_name": "the contact's last name",
    "phone": "the brand's support phone",
    "date": "the date the event is about, in the contact's time zone (e.g. Tue Nov 24)",
    "time": "the time the event is about, in the contact's time zone (e.g. 3:30 PM)",
    "offer": "the step's offer text",
    "branded link": "a short link, unique per message and recipient",
    "preferences link": "a short link to the person's own preference center (which texts, "
                        "how often, stop)",
}
EVENT_PREFIX = "event."


class TemplateError(ValueError):
    """A template that cannot be rendered safely."""


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def validate(text: str, event_fields: Iterable[str] = ()) -> None:
    """Raise :class:`TemplateError` naming every placeholder that is not known."""
    allowed = set(FIXED) | {EVENT_PREFIX + name for name in event_fields}
    unknown = sorted({name for name in placeholders(text) if name not in allowed})
    if unknown:
        known = ", ".join(f"[{name}]" for name in sorted(allowed))
        raise TemplateError(f"unknown placeholder(s) {', '.join(f'[{u}]' for u in unknown)}; "
                            f"known: {known}")


@dataclass
class Context:
    """What a template may show for one recipient."""

    brand: str = ""
    support_phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    timezone: str = "America/New_York"
    moment: datetime | None = None  # what [date] and [time] show
    offer: str | None = None
    event: Mapping[str, Any] = field(default_factory=dict)
    link: Callable[[], str] | None = None  # makes the [branded link]
    preferences_link: Callable[[], str] | None = None  # makes the [preferences link]


def render(text: str, context: Context) -> str:
    """The message for one recipient; :class:`TemplateError` if a value is missing."""
    missing: list[str] = []

    def value(match: re.Match) -> str:
        name = match.group(1)
        found = _value(name, context)
        if found is None or found == "":
            if name not in missing:
                missing.append(name)
            return ""
        return found

    rendered = PLACEHOLDER.sub(value, text)
    if missing:
        raise TemplateError("no value for " + ", ".join(f"[{name}]" for name in missing))
    return rendered


def _value(name: str, context: Context) -> str | None:
    if name.startswith(EVENT_PREFIX):
        found = context.event.get(name[len(EVENT_PREFIX):])
        return None if found is None else str(found)
    local = context.moment.astimezone(ZoneInfo(context.timezone)) if context.moment else None
    simple = {
        "Brand": context.brand,
        "first_name": context.first_name,
        "last_name": context.last_name,
        "phone": national(context.support_phone) if context.support_phone else None,
        "date": f"{local:%a %b} {local.day}" if local else None,
        "time": local.strftime("%I:%M %p").lstrip("0") if local else None,
        "offer": context.offer,
    }
    if name in simple:
        return simple[name]
    if name == "branded link":
        return context.link() if context.link else None
    if name == "preferences link":
        return context.preferences_link() if context.preferences_link else None
    raise TemplateError(f"unknown placeholder [{name}]")


PER_RECIPIENT = ("first_name", "last_name", "branded link", "preferences link")


def split_for_many(text: str, context: Context) -> list[str | tuple[str]]:
    """``text`` with everything but the per-recipient placeholders filled in once, for a send
    to many people: a list of fixed strings and ``(name,)`` holes, ``name`` one of
    :data:`PER_RECIPIENT`. Raises :class:`TemplateError` now for a missing shared value."""
    pieces: list[str | tuple[str]] = []
    for position, part in enumerate(PLACEHOLDER.split(text)):
        if position % 2 == 0 or part not in PER_RECIPIENT:
            value = part if position % 2 == 0 else _value(part, context)
            if value is None or (position % 2 and value == ""):
                raise TemplateError(f"no value for [{part}]")
            if pieces and isinstance(pieces[-1], str):
                pieces[-1] += value
            elif value:
                pieces.append(value)
        else:
            pieces.append((part,))
    return pieces
