"""The only module that talks to ``phonenumbers``: parse, format and locate numbers."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as number_timezones

DEFAULT_REGION = "US"


class InvalidPhone(ValueError):
    """A phone number that cannot be parsed into a valid E.164 number."""


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return ``raw`` as E.164 (``+14155552671``) or raise :class:`InvalidPhone`.

    National formats are read in ``region``; ``+`` (or that region's exit code, 011 in the US)
    starts an international number.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("A phone number is required.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"{text!r} is not a phone number ({error._msg}).") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{text!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def timezone_for(e164: str) -> str | None:
    """The IANA time zone of a number, or None when the number spans several zones."""
    zones = number_timezones.time_zones_for_number(phonenumbers.parse(e164))
    if len(zones) == 1 and zones[0] != number_timezones.UNKNOWN_TIMEZONE:
        return zones[0]
    return None


def region_of(e164: str) -> str | None:
    """The ISO country code of a number (``US``, ``GB``...)."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
