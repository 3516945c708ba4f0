"""The only module that talks to ``phonenumbers``: parse, format and locate numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

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
    digits = _plain_nanp(text, region)
    if digits is not None and (valid_in_us(digits) or phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=1, national_number=int(digits)))):
        return "+1" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"{text!r} is not a phone number ({error._msg}).") from None
    if not _valid(number):
        raise InvalidPhone(f"{text!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_NANP_REGIONS = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])
_SEPARATORS = str.maketrans("", "", " ()-.")


def _plain_nanp(text: str, region: str) -> str | None:
    """The ten national digits of a plainly written North American number (``+1 415 555
    2671``, ``(415) 555-2671``, ``1.415.555.2671``), else None.

    ``phonenumbers.parse`` reads these the same way (a property test holds it to that) but
    costs ten times more, and an import parses a million of them. Anything less plain
    (letters, extensions, other punctuation, another country) goes to ``phonenumbers``.
    """
    bare = text.translate(_SEPARATORS)
    if bare.startswith("+1"):
        bare = bare[2:]
    elif region not in _NANP_REGIONS:
        return None
    elif len(bare) == 11 and bare[0] == "1":
        bare = bare[1:]
    if len(bare) == 10 and bare.isascii() and bare.isdigit() and bare[0] not in "01":
        return bare
    return None


def _valid(number: phonenumbers.PhoneNumber) -> bool:
    # Most numbers are American: a valid US number is valid, and checking the US first skips
    # a scan of every +1 region.
    return ((number.country_code == 1
             and valid_in_us(phonenumbers.national_significant_number(number)))
            or phonenumbers.is_valid_number(number))


# phonenumbers' own validity test for a region, run straight from its metadata.
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")


@lru_cache(maxsize=8)
def _validity_test(region: str):
    """``phonenumbers.is_valid_number_for_region`` for one region's national numbers, as two
    compiled expressions: the general pattern, and any number type's pattern (a number is
    valid when it fits the first and is of some type). The library checks each type in turn
    through a cache of compiled patterns; an import of a million numbers is 30 times faster
    this way. A property test holds it to the library's answers."""
    metadata = PhoneMetadata.metadata_for_region(region)

    def pattern(desc) -> tuple[frozenset[int], re.Pattern] | None:
        if desc is None or not desc.national_number_pattern:
            return None
        return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)

    general = pattern(metadata.general_desc)
    kinds: dict[frozenset[int], list[str]] = {}
    for name in _TYPES:
        found = pattern(getattr(metadata, name))
        if found is not None:
            kinds.setdefault(found[0], []).append(found[1].pattern)
    typed = [(lengths, re.compile("|".join(f"(?:{p})" for p in patterns)))
             for lengths, patterns in kinds.items()]

    def test(nsn: str) -> bool:
        return (general is not None and _fits(general, nsn)
                and any(_fits(kind, nsn) for kind in typed))

    return test


def _fits(desc: tuple[frozenset[int], re.Pattern], nsn: str) -> bool:
    lengths, compiled = desc
    return (not lengths or len(nsn) in lengths) and compiled.fullmatch(nsn) is not None


def valid_in_us(national_number: str) -> bool:
    """Whether a North American national number (ten digits) is valid in the US."""
    return _validity_test("US")(national_number)


_ZONES: dict[str, str | None] = {}


def timezone_for(e164: str) -> str | None:
    """The IANA time zone of a number, or None when the number spans several zones.

    North American answers are remembered per +1, area code and exchange (the finest prefix
    the time-zone data uses there): a million numbers cost a few thousand look-ups."""
    prefix = e164[:8] if e164.startswith("+1") else None
    if prefix in _ZONES:
        return _ZONES[prefix]
    from phonenumbers import timezone as number_timezones  # loaded on first use

    zones = number_timezones.time_zones_for_number(phonenumbers.parse(e164))
    zone = zones[0] if len(zones) == 1 and zones[0] != number_timezones.UNKNOWN_TIMEZONE else None
    if prefix is not None:
        _ZONES[prefix] = zone
    return zone


def national(e164: str) -> str:
    """A number as people in its country write it: ``(415) 555-0100``."""
    return phonenumbers.format_number(phonenumbers.parse(e164),
                                      phonenumbers.PhoneNumberFormat.NATIONAL)


def region_of(e164: str) -> str | None:
    """The ISO country code of a number (``US``, ``GB``...)."""
    return facts(e164).region


@dataclass(frozen=True)
class NumberFacts:
    """What the gate asks of a stored number, worked out once per number and process."""

    problem: str | None  # why it cannot be texted, or None
    region: str | None


@lru_cache(maxsize=65536)
def facts(e164: str) -> NumberFacts:
    """Validity and country of a stored E.164 number (cached: parsing is the dispatcher's
    largest per-message cost)."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        return NumberFacts(f"{e164!r} is not a phone number ({error._msg}).", None)
    if phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != e164:
        return NumberFacts(f"{e164!r} is not in E.164 form.", None)
    # Most numbers are American: checking the US first skips a scan of every +1 region.
    if number.country_code == 1 and valid_in_us(phonenumbers.national_significant_number(number)):
        region = "US"
    elif phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_number(number)
    else:
        return NumberFacts(f"{e164!r} is not a valid phone number.", None)
    return NumberFacts(None, region)


_AREAS: dict[str, tuple[str | None, str]] = {}


def area_of(e164: str) -> tuple[str | None, str]:
    """The country and the place of issue of a number ("US", "Jersey City, NJ").

    North American area codes never cross a country, state or province line, so for +1
    numbers the answer is worked out once per area code (parsing and the geocoder are slow)
    and reused: a million-contact audience costs a few hundred lookups."""
    area = e164[:5] if e164.startswith("+1") else None
    if area in _AREAS:
        return _AREAS[area]
    # The geocoder's data takes a noticeable part of a second to load: only when asked.
    from phonenumbers import geocoder

    try:
        number = phonenumbers.parse(e164)
        found = (phonenumbers.region_code_for_number(number),
                 geocoder.description_for_number(number, "en"))
    except phonenumbers.NumberParseException:
        found = (None, "")
    if area is not None and found[0] is not None:
        _AREAS[area] = found
    return found


def place_of(e164: str) -> str:
    """Where a number was issued, in English ("Jersey City, NJ"; "" if unknown)."""
    return area_of(e164)[1]


# Number types that never receive texts (phonenumbers cannot tell most US landlines from
# mobiles: those are FIXED_LINE_OR_MOBILE and pass; a provider's lookup catches the rest).
_NOT_MOBILE = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "a landline",
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free number",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.UAN: "a company switchboard number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
    phonenumbers.PhoneNumberType.PAGER: "a pager",
}


def not_mobile(e164: str) -> str | None:
    """Why a valid number cannot take texts ("a landline"), or None when it may."""
    number = phonenumbers.parse(e164)
    return _NOT_MOBILE.get(phonenumbers.number_type(number))
