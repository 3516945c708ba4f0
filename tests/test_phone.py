"""Phone numbers are parsed with phonenumbers and stored as E.164, or refused."""

import pytest

from core.models import Contact
from core.phone import InvalidPhone, timezone_for, to_e164


@pytest.mark.parametrize(
    "raw",
    ["(415) 555-2671", "415.555.2671", "+1 415 555 2671", " 4155552671 "],
)
def test_us_formats_become_e164(raw):
    assert to_e164(raw) == "+14155552671"


def test_international_number_keeps_its_country():
    assert to_e164("+44 7911 123456") == "+447911123456"


@pytest.mark.parametrize("raw", ["", "12", "hello", "+1 555 555 55555555", "415-555-267"])
def test_unparseable_numbers_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_timezone_is_derived_from_the_number():
    assert timezone_for("+14155552671") == "America/Los_Angeles"
    assert timezone_for("+12125550123") == "America/New_York"


def test_contact_normalises_its_phone_and_derives_timezone():
    contact = Contact(phone="(212) 555-0123")
    assert contact.phone == "+12125550123"
    assert contact.timezone == "America/New_York"


def test_contact_with_a_bad_number_cannot_be_built():
    with pytest.raises(InvalidPhone):
        Contact(phone="555-CALL-NOW")


def test_us_exit_code_dials_abroad():
    assert to_e164("011 44 7911 123456") == "+447911123456"
