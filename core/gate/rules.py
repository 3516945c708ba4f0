"""The gate's rules as data: quiet hours per US state (with citations) and content lists."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from urllib.parse import urlsplit


@cache
def _load(name: str) -> dict:
    return json.loads(resources.files("core.gate").joinpath("data", name).read_text("utf-8"))


def content_lists() -> dict:
    return _load("content.json")


LOCAL_HOSTS = ("localhost", "localhost.localdomain", "ip6-localhost")
URL = re.compile(r"https?://[^\s<>\"']+", re.I)


def is_local(url: str) -> bool:
    """Does ``url`` point at this machine or a private network, where no phone can go?"""
    host = (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()
    if not host or host in LOCAL_HOSTS or host.endswith((".local", ".localhost", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host  # a bare machine name
    return address.is_private or address.is_loopback or address.is_link_local \
        or address.is_unspecified


def local_links(body: str) -> list[str]:
    return [url for url in URL.findall(body or "") if is_local(url)]


@dataclass(frozen=True)
class Window:
    """Allowed sending hours on one day, ``end`` exclusive, and the law they come from."""

    start: time
    end: time
    rule: str
    citation: str
    max_marketing_per_24h: int | None = None


def _t(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def states_with_rules() -> set[str]:
    """The states whose quiet hours differ from the federal ones (on some day)."""
    return set(_load("quiet_hours.json")["states"])


def window(state: str | None, day: date) -> Window:
    """The sending window in ``state`` on ``day``: the state's rule if in force, else federal."""
    data = _load("quiet_hours.json")
    rule = data["states"].get(state or "")
    if rule and date.fromisoformat(rule["effective"]) <= day:
        sunday = day.weekday() == 6 and "sunday_start" in rule
        return Window(
            _t(rule["sunday_start"] if sunday else rule["start"]),
            _t(rule["sunday_end"] if sunday else rule["end"]),
            f"{state}{' Sunday' if sunday else ''} quiet hours", rule["citation"],
            rule.get("max_marketing_per_24h"),
        )
    federal = data["federal"]
    return Window(_t(federal["start"]), _t(federal["end"]), "federal quiet hours",
                  federal["citation"])


def next_allowed(local: datetime, state: str | None) -> tuple[datetime, Window]:
    """``local`` itself if inside the window, else the first allowed minute after it."""
    today = window(state, local.date())
    if today.start <= local.time() < today.end:
        return local, today
    day = local.date() if local.time() < today.start else local.date() + timedelta(days=1)
    nxt = window(state, day)
    return datetime.combine(day, nxt.start, local.tzinfo), today
