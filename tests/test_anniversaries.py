"""Yearly flows from a date attribute: on the day in the contact's own time zone, from the
configured local hour, once a year, 29 February kept on 28 February, through the gate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core.consent import app_ledger
from core.flows import anniversaries, seeds
from core.models import (
    Brand,
    Campaign,
    Contact,
    Disclosure,
    FlowEvent,
    Message,
    MessageType,
    Sender,
)


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example",
                  link_domain="https://go.bloomandbranch.example")
    campaign = Campaign(brand=brand, name="Mixed", use_case="MIXED")
    session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    seeds.create(session, "Birthday offer", campaign, enabled=True)
    session.commit()


def person(app, session, phone, birthday, zone="America/Los_Angeles", consent=True,
           attribute="birthday"):
    contact = Contact(phone=phone, timezone=zone, attributes={attribute: birthday})
    session.add(contact)
    session.flush()
    if consent:
        disclosure = Disclosure(name=f"Loyalty {phone}", text="Bloom & Branch offers. Reply STOP.")
        session.add(disclosure)
        session.flush()
        marketing = session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
        app_ledger(app, session).opt_in(contact, marketing, source="web_form",
                                        disclosure=disclosure, actor="test",
                                        occurred_at=datetime(2025, 1, 1, tzinfo=UTC))
    session.commit()
    return contact


def events(session):
    session.rollback()
    return session.scalars(sa.select(FlowEvent).order_by(FlowEvent.id)).all()


def run(app, session, at):
    count = anniversaries.run_due(session, app, at)
    session.commit()
    return count


def test_a_birthday_starts_at_ten_in_the_contacts_own_time(app, session, world):
    person(app, session, "+14155550101", "1990-06-15")  # Los Angeles: UTC-7 in June
    assert run(app, session, datetime(2026, 6, 15, 16, 59, tzinfo=UTC)) == 0  # 09:59 there
    assert run(app, session, datetime(2026, 6, 15, 17, 0, tzinfo=UTC)) == 1  # 10:00 there
    [event] = events(session)
    assert event.kind == "contact.birthday" and event.payload["years"] == 36
    [text] = session.scalars(sa.select(Message).where(Message.direction == "out")).all()
    assert "happy birthday" in text.body and text.status == "queued"


def test_once_a_year_however_often_the_sweep_looks(app, session, world):
    person(app, session, "+14155550102", "06-15")
    for minute in range(0, 60, 7):
        run(app, session, datetime(2026, 6, 15, 18, minute, tzinfo=UTC))
    assert len(events(session)) == 1
    run(app, session, datetime(2027, 6, 15, 18, 0, tzinfo=UTC))
    assert len(events(session)) == 2
    assert "years" not in events(session)[0].payload  # no year given


@pytest.mark.parametrize(("at", "expected"), [
    (datetime(2026, 6, 15, 1, 0, tzinfo=UTC), 1),  # the 15th, 10:00 in Tokyo (UTC still the 15th)
    (datetime(2026, 6, 15, 16, 0, tzinfo=UTC), 0),  # the 16th in Tokyo: missed days stay missed
])
def test_the_day_is_the_contacts_own(app, session, world, at, expected):
    person(app, session, "+14155550103", "2000-06-15", zone="Asia/Tokyo")
    assert run(app, session, at) == expected


def test_a_day_ahead_of_utc_counts(app, session, world):
    """At 20:00 UTC on the 14th it is already 10:00 on the 15th in Kiritimati (UTC+14)."""
    person(app, session, "+14155550110", "2000-06-15", zone="Pacific/Kiritimati")
    assert run(app, session, datetime(2026, 6, 14, 20, 0, tzinfo=UTC)) == 1


def test_29_february_is_kept_on_28_february_in_other_years(app, session, world):
    person(app, session, "+14155550104", "1996-02-29")
    assert run(app, session, datetime(2027, 2, 28, 19, 0, tzinfo=UTC)) == 1
    assert run(app, session, datetime(2028, 2, 28, 19, 0, tzinfo=UTC)) == 0  # a leap year
    assert run(app, session, datetime(2028, 2, 29, 19, 0, tzinfo=UTC)) == 1


def test_without_consent_the_gate_blocks_the_text(app, session, world):
    person(app, session, "+14155550105", "1990-06-15", consent=False)
    run(app, session, datetime(2026, 6, 15, 18, 0, tzinfo=UTC))
    [text] = session.scalars(sa.select(Message).where(Message.direction == "out")).all()
    assert text.status == "blocked"


@pytest.mark.parametrize("value", ["", "15/06/1990", "1990-13-45", None, "yesterday"])
def test_dates_it_cannot_read_start_nothing(app, session, world, value):
    person(app, session, "+14155550106", value)
    assert run(app, session, datetime(2026, 6, 15, 18, 0, tzinfo=UTC)) == 0


def test_no_enabled_flow_no_work(app, session):
    person(app, session, "+14155550107", "1990-06-15")
    assert run(app, session, datetime(2026, 6, 15, 18, 0, tzinfo=UTC)) == 0
    assert events(session) == []


def test_the_hour_is_configurable(make_app):
    app = make_app(ANNIVERSARY_HOUR=8)
    from core.db import db

    with app.app_context():
        session = db.session
        brand = Brand(legal_name="B LLC", public_name="B", website="https://b.example")
        campaign = Campaign(brand=brand, name="M", use_case="MIXED")
        session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
        session.flush()
        seeds.create(session, "Birthday offer", campaign, enabled=True)
        session.commit()
        person(app, session, "+14155550108", "1990-06-15")
        assert run(app, session, datetime(2026, 6, 15, 15, 0, tzinfo=UTC)) == 1  # 08:00 LA


def test_a_membership_anniversary_uses_member_since(app, session, world):
    flow = seeds.create(session, "Birthday offer", None)
    flow.trigger = "contact.anniversary"
    session.commit()
    person(app, session, "+14155550109", "2021-06-15", attribute="member_since")
    run(app, session, datetime(2026, 6, 15, 18, 0, tzinfo=UTC))
    [event] = events(session)
    assert event.kind == "contact.anniversary" and event.payload["years"] == 5
