"""A bulk send renders and counts its texts in SQL: the same texts as the one-by-one renderer."""

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import segments
from core.flows import bulk, links, templates
from core.models import Contact

PREFIX = "https://go.bb.example/l/AbCd_-12"
PHONES = (f"+1212555{n:04d}" for n in itertools.count(1000))
# Fixed text may hold anything a template can: GSM-7 basic and extended characters,
# accents outside GSM-7, emoji (two UTF-16 units), quotes, % and backslashes.
TEXT = st.text(st.sampled_from("abc XYZ 09 .,'\"%\\_@£€{}^~|éñçÑ😊\n"), max_size=40)
NAME = st.one_of(st.none(), st.just(""), st.text(st.sampled_from(
    "abcXYZ09 .'-éñçÑ😊€{}`\"%"), max_size=25))
HOLE = st.sampled_from(["[first_name]", "[last_name]", "[branded link]", "[Brand]"])
TEMPLATE = st.lists(st.one_of(TEXT, HOLE), max_size=8).map("".join)


def sql_text(session, template, contact):
    pieces = templates.split_for_many(template, templates.Context(brand="Bloom & Branch"))
    text = bulk.BodySQL(pieces, PREFIX, bulk.is_sqlite(session))
    count, encoding = text.segment_count()
    missing = text.missing()
    reason = sa.case(*missing, else_=None) if missing else sa.null()
    body, counted, why = session.execute(
        sa.select(text.body(), count, reason).where(Contact.id == contact.id)).one()
    return body, counted, encoding, why


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=TEMPLATE, first=NAME, last=NAME)
def test_sql_renders_and_counts_as_the_renderer_does(session, template, first, last):
    contact = Contact(phone=next(PHONES), first_name=first, last_name=last)
    session.add(contact)
    session.flush()
    body, counted, encoding, why = sql_text(session, template, contact)
    link = PREFIX + contact.phone_hmac[:links.RECIPIENT_CHARS]
    context = templates.Context(brand="Bloom & Branch", first_name=first, last_name=last,
                                link=lambda: link)
    try:
        expected = templates.render(template, context)
    except templates.TemplateError as error:
        assert why == str(error)  # the row is written blocked, with the renderer's reason
        return
    assert why is None
    assert body == expected
    reference = segments.count(expected)
    if counted == bulk.UNCOUNTED:  # a name beyond plain ASCII: Python counts it
        used = [name for name, hole in ((first, "[first_name]"), (last, "[last_name]"))
                if hole in template]
        assert any(not set(name) <= bulk.PLAIN_CHARS for name in used)
    else:
        assert (counted, encoding) == (reference.segments, reference.encoding)


@pytest.mark.parametrize(("first", "expected"), [("Zoë", 1), ("Renée", 1), ("😊" * 40, 2)])
def test_names_beyond_plain_ascii_are_counted_in_python(session, first, expected):
    contact = Contact(phone=next(PHONES), first_name=first)
    session.add(contact)
    session.flush()
    body, counted, _, _ = sql_text(session, "Bloom & Branch: hi [first_name]!", contact)
    assert counted == bulk.UNCOUNTED
    assert segments.count(body).segments == expected
