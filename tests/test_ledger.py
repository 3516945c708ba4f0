"""The foundation of the consent ledger: append-only events, state derived from them."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import ConsentRefused, Evidence, app_ledger, is_suppressed
from core.models import Consent, ConsentEvent, Contact, Disclosure, MessageType
from core.models.append_only import AppendOnlyError

T0 = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)


@pytest.fixture
def setup(session):
    contact = Contact(phone="+14155552671", first_name="Ana")
    disclosure = Disclosure(name="Checkout", text="I agree to receive texts. Reply STOP to cancel.")
    session.add_all([contact, disclosure])
    session.flush()
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    return app_ledger(current_app, session), contact, disclosure, types


def states(session, contact):
    rows = session.scalars(sa.select(Consent).where(Consent.contact_id == contact.id))
    return {row.message_type.slug: row.state for row in rows}


def test_opt_in_records_the_event_and_derives_the_state(session, setup):
    ledger, contact, disclosure, types = setup
    event = ledger.opt_in(
        contact, types["marketing"], source="web_form", disclosure=disclosure, occurred_at=T0,
        actor="web form", evidence=Evidence(ip="203.0.113.7", page_url="https://shop.example/join"),
    )
    session.commit()
    assert event.disclosure_hash == disclosure.content_hash
    assert event.recorded_at >= event.occurred_at
    assert states(session, contact) == {"marketing": "opted_in"}


def test_opt_out_of_everything_covers_every_type_and_suppresses(session, setup):
    ledger, contact, disclosure, types = setup
    ledger.opt_in(contact, types["marketing"], source="keyword", disclosure=disclosure,
                  occurred_at=T0, actor="sms")
    ledger.opt_out(contact, None, source="keyword", occurred_at=T0 + timedelta(days=1),
                   actor="sms", evidence=Evidence(keyword_text="STOP"))
    session.commit()
    assert set(states(session, contact).values()) == {"opted_out"}
    assert set(states(session, contact)) == set(types)
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], "+14155552671")


def test_opt_out_of_one_type_keeps_the_others(session, setup):
    ledger, contact, disclosure, types = setup
    for slug in ("marketing", "transactional"):
        ledger.opt_in(contact, types[slug], source="web_form", disclosure=disclosure,
                      occurred_at=T0, actor="web form")
    ledger.opt_out(contact, types["marketing"], source="admin", occurred_at=T0 + timedelta(hours=2),
                   actor="support@bloomandbranch.example")
    assert states(session, contact) == {"marketing": "opted_out", "transactional": "opted_in"}
    assert not is_suppressed(session, current_app.config["SUPPRESSION_KEY"], contact.phone)


def test_an_older_event_recorded_late_does_not_override_a_newer_one(session, setup):
    ledger, contact, disclosure, types = setup
    ledger.opt_out(contact, types["marketing"], source="keyword", occurred_at=T0 + timedelta(days=2),
                   actor="sms")
    ledger.opt_in(contact, types["marketing"], source="paper_form", disclosure=disclosure,
                  occurred_at=T0, actor="import", evidence=Evidence(document_url="s3://forms/1.pdf"))
    assert states(session, contact) == {"marketing": "opted_out"}


def test_opt_in_without_a_disclosure_is_refused(session, setup):
    ledger, contact, _disclosure, types = setup
    with pytest.raises(ConsentRefused, match="disclosure"):
        ledger.opt_in(contact, types["marketing"], source="web_form", disclosure=None,
                      occurred_at=T0, actor="web form")
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 0


@pytest.mark.parametrize("source", ["purchased_list", "partner"])
def test_opt_in_from_a_source_that_cannot_prove_consent_is_refused(session, setup, source):
    ledger, contact, disclosure, types = setup
    with pytest.raises(ConsentRefused, match="cannot prove"):
        ledger.opt_in(contact, types["marketing"], source=source, disclosure=disclosure,
                      occurred_at=T0, actor="import")


def test_unknown_source_is_refused(setup):
    ledger, contact, disclosure, types = setup
    with pytest.raises(ConsentRefused, match="Unknown consent source"):
        ledger.opt_out(contact, None, source="carrier pigeon", occurred_at=T0, actor="x")


def test_naive_timestamps_are_refused(setup):
    ledger, contact, disclosure, types = setup
    with pytest.raises(ConsentRefused, match="timezone"):
        ledger.opt_out(contact, None, source="admin", occurred_at=datetime(2026, 3, 1), actor="x")


@pytest.mark.parametrize("occurred_at", [datetime.now(UTC) + timedelta(days=400),
                                         datetime(1991, 12, 31, tzinfo=UTC)])
def test_an_opt_in_dated_in_the_future_or_before_sms_is_refused(session, setup, occurred_at):
    ledger, contact, disclosure, types = setup
    with pytest.raises(ConsentRefused, match="impossible"):
        ledger.opt_in(contact, types["marketing"], source="web_form", disclosure=disclosure,
                      occurred_at=occurred_at, actor="api")
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 0


def test_a_future_dated_opt_in_cannot_outrank_a_later_stop(session, setup):
    """Were it recorded, an opt-in dated next year would win over every STOP sent before
    then, and the STOP would not even suppress the number."""
    ledger, contact, disclosure, types = setup
    with pytest.raises(ConsentRefused):
        ledger.opt_in(contact, types["marketing"], source="web_form", disclosure=disclosure,
                      occurred_at=datetime.now(UTC) + timedelta(days=365), actor="api")
    ledger.opt_out(contact, None, source="keyword", occurred_at=datetime.now(UTC), actor="sms")
    assert set(states(session, contact).values()) == {"opted_out"}
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], contact.phone)


@pytest.mark.parametrize("occurred_at", [datetime.now(UTC) + timedelta(days=400),
                                         datetime(999, 1, 1, tzinfo=UTC)])
def test_an_opt_out_with_an_impossible_time_is_recorded_as_of_now(session, setup, occurred_at):
    ledger, contact, disclosure, types = setup
    ledger.opt_in(contact, types["marketing"], source="web_form", disclosure=disclosure,
                  occurred_at=T0, actor="web form")
    before = datetime.now(UTC)
    event = ledger.opt_out(contact, None, source="admin", occurred_at=occurred_at, actor="x")
    assert before <= event.occurred_at <= datetime.now(UTC)
    assert event.occurred_at == event.recorded_at
    assert set(states(session, contact).values()) == {"opted_out"}
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], contact.phone)


def test_a_source_clock_a_little_ahead_is_accepted(session, setup):
    ledger, contact, disclosure, types = setup
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    event = ledger.opt_in(contact, types["marketing"], source="web_form", disclosure=disclosure,
                          occurred_at=ahead, actor="web form")
    assert event.occurred_at == ahead


def test_timestamps_come_back_timezone_aware(session, setup):
    ledger, contact, disclosure, types = setup
    ledger.opt_out(contact, None, source="admin", occurred_at=T0, actor="x")
    session.commit()
    session.expire_all()
    event = session.scalars(sa.select(ConsentEvent)).one()
    assert event.occurred_at == T0
    assert event.occurred_at.tzinfo is not None


def test_orm_refuses_to_update_or_delete_an_event(session, setup):
    ledger, contact, disclosure, types = setup
    event = ledger.opt_out(contact, None, source="admin", occurred_at=T0, actor="x")
    session.commit()
    event.source = "web_form"
    with pytest.raises(AppendOnlyError, match="update refused"):
        session.flush()
    session.rollback()
    session.delete(event)
    with pytest.raises(AppendOnlyError, match="delete refused"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE consent_event SET source = 'web_form'", "DELETE FROM consent_event",
     "UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"],
)
def test_database_refuses_to_change_append_only_rows(session, setup, statement):
    ledger, contact, disclosure, types = setup
    ledger.opt_out(contact, None, source="admin", occurred_at=T0, actor="x")
    from core import audit

    audit.record(session, "admin@bloomandbranch.example", "create", contact)
    session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        session.execute(sa.text(statement))
    session.rollback()
