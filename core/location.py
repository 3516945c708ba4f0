"""Where a contact is: the US state and the time zone that quiet hours are judged in.

The most precise thing we know wins: a ZIP code (the ``zipcodes`` package's USPS data names
its state and time zone), else the state the contact gave, else the phone number (the area
code's state, the time zone phonenumbers gives the number). A number says little: people
keep their numbers when they move, and area codes such as Florida's 850 span two zones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import zipcodes

from core import phone

US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "district of columbia": "DC", "washington d.c.": "DC",
    "puerto rico": "PR", "guam": "GU", "u.s. virgin islands": "VI",
    "american samoa": "AS", "northern mariana islands": "MP",
}
# Every code the USPS uses: the states and DC, the territories, the freely associated states
# and the military post offices.
STATE_CODES = frozenset(US_STATES.values()) | {"FM", "MH", "PW", "AA", "AE", "AP"}
ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")


class LocationError(ValueError):
    """A ZIP code or state that is not one."""


@dataclass(frozen=True)
class Place:
    state: str | None
    timezone: str | None


def locate(e164: str | None, postal_code: str | None = None,
           state: str | None = None) -> Place:
    """The contact's state and time zone from its ZIP code, else its state, else its number.

    Raises :class:`LocationError` for a malformed ZIP code or an unknown state; a well-formed
    ZIP code the data does not know (a new one) falls through to the state and the number."""
    if not postal_code and not state:
        return _number_place(e164) if e164 else Place(None, None)
    number_zone = phone.timezone_for(e164) if e164 else None
    if postal_code:
        found = zip_place(postal_code)
        if found is not None:
            return Place(found.state, found.timezone or zone_in_state(found.state, number_zone))
    if state:
        code = state_code(state)
        return Place(code, zone_in_state(code, number_zone))
    return _number_place(e164)


_NUMBER_PLACES: dict[str, Place] = {}


def _number_place(e164: str) -> Place:
    """Where a number was issued; North American answers remembered per area code and
    exchange (the finest prefix the time-zone data uses)."""
    prefix = e164[:8] if e164.startswith("+1") else None
    found = _NUMBER_PLACES.get(prefix) if prefix else None
    if found is None:
        found = Place(state_of_number(e164), phone.timezone_for(e164))
        if prefix:
            _NUMBER_PLACES[prefix] = found
    return found


def place_of(contact: Any) -> Place:
    """A contact's place as saved, or worked out now for one not saved yet (a simulation);
    ``contact`` is a :class:`~core.models.Contact` or a row with its columns."""
    state, zone = getattr(contact, "state", None), contact.timezone
    if state or zone or not contact.phone:
        return Place(state, zone)
    return locate(contact.phone, getattr(contact, "postal_code", None))


def zone_name(zone: str) -> str:
    """An IANA time zone name as given (``America/Chicago``), or :class:`LocationError`."""
    if zone.strip() not in _zones():
        raise LocationError(f"{zone!r} is not an IANA time zone (e.g. America/Chicago)")
    return zone.strip()


def zip_place(postal_code: str) -> Place | None:
    """The state and time zone of a US ZIP code (``"33101"``, ``"33101-2345"``), or None
    when the USPS data does not know it."""
    match = ZIP.match(postal_code)
    if not match:
        raise LocationError(f"{postal_code!r} is not a US ZIP code (five digits, or ZIP+4)")
    return _zip_table().get(match.group(1))


def state_code(state: str) -> str:
    """``"fl"``, ``"Florida"`` → ``"FL"``; :class:`LocationError` if it names no state."""
    text = state.strip()
    code = US_STATES.get(text.lower()) or text.upper()
    if code not in STATE_CODES:
        raise LocationError(f"{state!r} is not a US state or territory")
    return code


def zone_in_state(state: str, number_zone: str | None = None) -> str | None:
    """The time zone to use for someone in ``state``: the number's own zone when the state
    has it (a Pensacola number in Florida is Central), else where most of the state lives."""
    zones = _state_zones().get(state)
    if not zones:
        return number_zone
    if number_zone in zones:
        return number_zone
    return zones.most_common(1)[0][0]


def state_of_number(e164: str) -> str | None:
    """The US state a number was issued in (its area code), or None outside the US."""
    region, place = phone.area_of(e164)
    if region != "US":
        return None
    tail = place.rsplit(",", 1)[-1].strip()
    if len(tail) == 2 and tail.isupper():
        return tail
    return US_STATES.get(place.strip().lower())


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _zip_table() -> dict[str, Place]:
    """Every ZIP code's place, read once (about 42,000 codes, a second). A time zone the
    IANA database does not know (the data has a few typos) counts as unknown."""
    known = _zones()
    return {z["zip_code"]: Place(z["state"], z["timezone"] if z["timezone"] in known else None)
            for z in zipcodes.list_all() if z["state"]}


@cache
def _state_zones() -> dict[str, Counter[str]]:
    """Per state, how many of its ZIP codes lie in each time zone."""
    zones: dict[str, Counter[str]] = {}
    for place in _zip_table().values():
        counter = zones.setdefault(place.state, Counter())
        if place.timezone:
            counter[place.timezone] += 1
    return zones
