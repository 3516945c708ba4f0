"""Segment counting: GSM-7 160/153, UCS-2 70/67, extended characters count twice."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import segments


@pytest.mark.parametrize(("body", "expected"), [
    ("a" * 160, ("GSM-7", 160, 1)),
    ("a" * 161, ("GSM-7", 161, 2)),
    ("a" * 306, ("GSM-7", 306, 2)),
    ("a" * 307, ("GSM-7", 307, 3)),
    ("{}" * 40, ("GSM-7", 160, 1)),  # each extended character takes an escape
    ("€" * 81, ("GSM-7", 162, 2)),
    ("é" * 70, ("GSM-7", 70, 1)),  # é is in the GSM-7 basic set
    ("ç" * 70, ("UCS-2", 70, 1)),  # ç is not (only Ç is)
    ("ç" * 71, ("UCS-2", 71, 2)),
    ("😊" * 35, ("UCS-2", 70, 1)),  # an emoji is two UTF-16 units
    ("😊" * 36, ("UCS-2", 72, 2)),
    ("", ("GSM-7", 0, 1)),
])
def test_known_counts(body, expected):
    counted = segments.count(body)
    assert (counted.encoding, counted.characters, counted.segments) == expected


def reference(body):
    """The definition, one character at a time."""
    if all(ch in segments.GSM7_BASIC or ch in segments.GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in segments.GSM7_EXTENDED else 1 for ch in body)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)
        single, part, encoding = 70, 67, "UCS-2"
    return encoding, units, 1 if units <= single else -(-units // part)


@given(st.text(alphabet=st.sampled_from(sorted(segments.GSM7)) | st.characters(), max_size=400))
def test_matches_the_definition(body):
    counted = segments.count(body)
    assert (counted.encoding, counted.characters, counted.segments) == reference(body)
