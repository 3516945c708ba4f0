"""List views on big tables: counts stop at a cap, a whole phone number is found by its index."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin import listing
from core.models import Contact, Message


@pytest.mark.parametrize("search,found", [
    ("+14155550123", "+14155550123"), ("(415) 555-0123", "+14155550123"),
    ("415.555.0123", "+14155550123"), ("1 415 555 0123", "+14155550123"),
    ("555-0123", None), ("0123", None), ("Garcia", None), ("+1 415", None),
    ("4155550123 Ana", None), ("", None),
])
def test_a_whole_phone_number_is_recognised(search, found):
    assert listing.phone_in(search) == found


def test_counts_print_as_what_they_are():
    assert str(listing.AtLeast(10_000)) == "10,000+" and listing.AtLeast(10_000) == 10_000
    assert str(listing.About(1_234_567)) == "about 1,234,567"


def test_a_count_stops_at_the_cap(app, session, monkeypatch):
    session.add_all([Contact(phone=f"+1415555{n:04d}") for n in range(12)])
    session.flush()
    monkeypatch.setattr(listing, "COUNT_CAP", 10)
    query = session.query(Contact)
    assert isinstance(listing.count(query, Contact, narrowed=True), listing.AtLeast)
    assert listing.count(query.filter(Contact.phone.like("%000_")), Contact, True) == 10
    assert listing.count(query.filter(Contact.phone == "+14155550003"), Contact, True) == 1


def test_lists_show_a_capped_count_and_search_phones_by_index(app, client, login, session,
                                                              monkeypatch):
    login("admin")
    session.add_all([Contact(phone=f"+1415555{n:04d}", first_name="Ana") for n in range(12)])
    session.commit()
    monkeypatch.setattr(listing, "COUNT_CAP", 10)
    page = client.get("/admin/contact/").get_data(as_text=True)
    assert "List (10+)" in page
    page = client.get("/admin/contact/?search=(415)+555-0007").get_data(as_text=True)
    assert "List (1)" in page and "+14155550007" in page and "+14155550008" not in page
    page = client.get("/admin/contact/?search=Ana").get_data(as_text=True)  # text search still
    assert "List (10+)" in page


def test_message_and_consent_lists_find_a_number(app, client, login, session):
    from core.testing import opted_in

    login("admin")
    contact = opted_in("+14155550190")
    other = opted_in("+14155550191")
    session.add_all([Message(direction="in", contact_id=c.id, phone=c.phone, body=f"hi {c.id}",
                             status="received") for c in (contact, other)])
    session.commit()
    page = client.get("/admin/message/?search=415-555-0190").get_data(as_text=True)
    assert f"hi {contact.id}" in page and f"hi {other.id}" not in page
    page = client.get("/admin/consent/?search=%2B14155550190").get_data(as_text=True)
    assert "List (2)" in page  # transactional and support
    page = client.get("/admin/consentevent/?search=(415)555-0191").get_data(as_text=True)
    assert "List (2)" in page


def test_the_default_orders_are_served_by_an_index(app, session):
    """The first page of each big list reads an index, never sorts the table."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if not sqlite:
        for setting in ("enable_seqscan", "enable_bitmapscan"):  # tiny tables: plan as big
            session.execute(sa.text(f"SET LOCAL {setting} = off"))
    for sql in ("SELECT id FROM contact ORDER BY id DESC LIMIT 50",
                "SELECT id FROM message ORDER BY id DESC LIMIT 50",
                "SELECT id FROM consent ORDER BY since DESC LIMIT 50",
                "SELECT id FROM consent_event ORDER BY seq DESC LIMIT 50"):
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in session.execute(sa.text(explain + sql)))
        assert ("TEMP B-TREE" not in plan) if sqlite else ("Sort" not in plan), (sql, plan)
