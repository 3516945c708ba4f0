"""Phone numbers are parsed with phonenumbers and stored as E.164, or refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    from core.location import place_of

    contact = Contact(phone="(212) 555-0123")
    assert contact.phone == "+12125550123"
    assert place_of(contact).timezone == "America/New_York"  # stored when it is saved


def test_contact_with_a_bad_number_cannot_be_built():
    with pytest.raises(InvalidPhone):
        Contact(phone="555-CALL-NOW")


def test_us_exit_code_dials_abroad():
    assert to_e164("011 44 7911 123456") == "+447911123456"


def _library_e164(raw: str, region: str) -> str | None:
    """What phonenumbers alone makes of ``raw``: the reference for the plain-number fast path."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ours(raw: str, region: str) -> str | None:
    try:
        return to_e164(raw, region)
    except InvalidPhone:
        return None


_digit_runs = st.lists(st.text("0123456789", min_size=1, max_size=11), min_size=1, max_size=4)
_separators = st.sampled_from(["", " ", "-", ".", "(", ")", ") ", " (", "--"])


@settings(max_examples=3000, deadline=None)
@given(prefix=st.sampled_from(["", "+", "+1", "+1 ", "1", "1 ", "1-", "(+1) ", "+ 1", "011 1 ",
                               "+44 ", "(", " "]),
       runs=_digit_runs, glue=st.lists(_separators, min_size=4, max_size=4),
       region=st.sampled_from(["US", "CA", "PR", "GB", "DE"]))
def test_the_plain_number_fast_path_reads_numbers_exactly_as_phonenumbers(prefix, runs, glue,
                                                                          region):
    raw = prefix + "".join(run + sep for run, sep in zip(runs, glue, strict=False))
    assert _ours(raw, region) == _library_e164(raw, region)


@settings(max_examples=3000, deadline=None)
@given(area=st.integers(200, 999), exchange=st.integers(0, 999), line=st.integers(0, 9999),
       style=st.sampled_from(["({a}) {e:03d}-{l:04d}", "{a}.{e:03d}.{l:04d}", "+1{a}{e:03d}{l:04d}",
                              "1-{a}-{e:03d}-{l:04d}", "{a}{e:03d}{l:04d}"]))
def test_valid_and_invalid_north_american_numbers_agree_with_phonenumbers(area, exchange, line,
                                                                          style):
    raw = style.format(a=area, e=exchange, l=line)
    assert _ours(raw, "US") == _library_e164(raw, "US")


@settings(max_examples=5000, deadline=None)
@given(digits=st.one_of(
    st.text("0123456789", min_size=10, max_size=10),
    st.builds("{}{}{:04d}".format, st.sampled_from(["212", "305", "415", "505", "900", "800",
                                                    "274", "472", "983", "500", "533"]),
              st.text("0123456789", min_size=3, max_size=3), st.integers(0, 9999)),
    st.text("0123456789", min_size=1, max_size=12)))
def test_the_us_validity_test_gives_the_librarys_answers(digits):
    """``valid_in_us`` runs phonenumbers' US metadata directly; it must agree everywhere."""
    import phonenumbers

    from core.phone import valid_in_us

    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    expected = phonenumbers.is_valid_number_for_region(number, "US")
    assert valid_in_us(str(int(digits))) == expected
