"""The hash chain: linear, verifiable, tamper-evident, serialised across threads, erasable."""

import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app
from hypothesis import given, settings
from hypothesis import strategies as st

from core.consent import Evidence, app_ledger, chain, is_suppressed
from core.consent.maintenance import erase_contact, rebuild
from core.db import db
from core.models import Consent, ConsentEvent, ConsentEvidence, Contact, Disclosure, MessageType

T0 = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
PHONE = "+14155552671"


@pytest.fixture
def ledger(session):
    return app_ledger(current_app, session)


@pytest.fixture
def disclosure(session):
    disclosure = Disclosure(name="Checkout", text="I agree to receive texts. Reply STOP to cancel.")
    session.add(disclosure)
    session.flush()
    return disclosure


@pytest.fixture
def types(session):
    return {t.slug: t for t in session.scalars(sa.select(MessageType))}


def history(ledger, session, disclosure, types, phone=PHONE):
    contact = Contact(phone=phone, first_name="Ana", last_name="Garcia", email="ana@example.com")
    session.add(contact)
    session.flush()
    ledger.opt_in(contact, types["marketing"], source="web_form", disclosure=disclosure,
                  occurred_at=T0, actor="web form",
                  evidence=Evidence(ip="203.0.113.7", user_agent="Mozilla/5.0 (iPhone)",
                                    page_url="https://bloomandbranch.example/join"))
    ledger.opt_out(contact, None, source="keyword", occurred_at=T0 + timedelta(days=3),
                   actor="inbound SMS", evidence=Evidence(keyword_text="STOP please"))
    session.commit()
    return contact


def test_events_are_linked_in_order(ledger, session, disclosure, types):
    history(ledger, session, disclosure, types)
    first, second = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq)).all()
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.hash
    assert chain.verify(session).ok


def test_personal_data_lives_only_in_the_evidence(ledger, session, disclosure, types):
    history(ledger, session, disclosure, types)
    columns = {c.name for c in ConsentEvent.__table__.columns}
    assert not columns & {"ip", "user_agent", "keyword_text", "phone", "first_name"}
    evidence = session.scalars(sa.select(ConsentEvidence).order_by(ConsentEvidence.event_id)).first()
    assert (evidence.phone, evidence.ip, evidence.first_name) == (PHONE, "203.0.113.7", "Ana")
    assert len(evidence.nonce) == 32


def _without_triggers(session, table="consent_event"):
    if session.bind.dialect.name == "sqlite":
        for operation in ("update", "delete"):
            session.execute(sa.text(f"DROP TRIGGER {table}_no_{operation}"))
    else:
        session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))


def _restore_triggers(session, table="consent_event"):
    session.rollback()
    if session.bind.dialect.name != "sqlite":
        session.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
        session.commit()


@pytest.mark.parametrize(
    ("statement", "broken_seq", "reason"),
    [
        ("UPDATE consent_event SET source = 'paper_form' WHERE seq = 1", 1, "event was altered"),
        ("UPDATE consent_event SET occurred_at = :earlier WHERE seq = 2", 2, "event was altered"),
        ("DELETE FROM consent_evidence WHERE event_id = (SELECT id FROM consent_event WHERE seq = 1)",
         1, "evidence row is missing"),
        ("UPDATE consent_evidence SET ip = '198.51.100.1'", 1, "personal evidence was altered"),
        ("DELETE FROM consent_event WHERE seq = 1", 2, "expected event #1"),
    ],
)
def test_verify_names_the_first_broken_link(ledger, session, disclosure, types, statement,
                                            broken_seq, reason):
    history(ledger, session, disclosure, types)
    _without_triggers(session)
    try:
        if "DELETE FROM consent_event" in statement:
            session.execute(sa.text(
                "DELETE FROM consent_evidence WHERE event_id = (SELECT id FROM consent_event WHERE seq = 1)"))
            session.execute(sa.text("UPDATE consent SET last_event_id = (SELECT id FROM consent_event WHERE seq = 2)"))
        session.execute(sa.text(statement).bindparams(earlier=T0) if ":earlier" in statement
                        else sa.text(statement))
        session.commit()
        result = chain.verify(session)
        assert not result.ok
        assert result.broken_seq == broken_seq
        assert reason in result.reason
    finally:
        _restore_triggers(session)


def test_a_forged_event_appended_without_the_head_is_detected(ledger, session, disclosure, types):
    contact = history(ledger, session, disclosure, types)
    last = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq.desc())).first()
    forged = ConsentEvent(seq=3, contact_id=contact.id, message_type_id=types["marketing"].id,
                          action="opt_in", source="web_form", occurred_at=T0, recorded_at=T0,
                          actor="forger", personal_hash="0" * 64, prev_hash=last.hash,
                          hash="f" * 64)
    session.add(forged)
    session.add(ConsentEvidence(event=forged))
    session.commit()
    result = chain.verify(session)
    assert (result.ok, result.broken_seq) == (False, 3)


def test_concurrent_writers_keep_the_chain_linear(app, session, disclosure, types):
    threads_count, per_thread = 4, 10
    phones = [f"+1415555{2600 + n:04d}" for n in range(threads_count)]
    for phone in phones:
        session.add(Contact(phone=phone))
    session.commit()
    errors = []

    def write(phone):
        try:
            with app.app_context():
                ledger = app_ledger(app, db.session)
                for n in range(per_thread):
                    contact = db.session.scalars(sa.select(Contact).filter_by(phone=phone)).one()
                    marketing = db.session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
                    ledger.opt_out(contact, marketing, source="api", actor=f"thread {phone}",
                                   occurred_at=T0 + timedelta(minutes=n))
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    workers = [threading.Thread(target=write, args=(phone,)) for phone in phones]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    seqs = session.scalars(sa.select(ConsentEvent.seq).order_by(ConsentEvent.seq)).all()
    assert seqs == list(range(1, threads_count * per_thread + 1))
    assert chain.verify(session).ok


def test_erasure_keeps_the_chain_the_events_and_the_suppression(ledger, session, disclosure, types):
    contact = history(ledger, session, disclosure, types)
    erase_contact(session, contact, "privacy@bloomandbranch.example")
    session.commit()
    session.expire_all()
    contact = session.get(Contact, contact.id)
    assert (contact.phone, contact.first_name, contact.email) == (None, None, None)
    evidence = session.scalars(sa.select(ConsentEvidence)).all()
    assert all(e.phone is None and e.ip is None and e.nonce is None and e.erased_at for e in evidence)
    events = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq)).all()
    assert [(e.action, e.source, e.disclosure_id) for e in events] == [
        ("opt_in", "web_form", disclosure.id), ("opt_out", "keyword", None)]
    result = chain.verify(session)
    assert result.ok and result.erased == 2
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], PHONE)


def test_reimporting_an_erased_opted_out_number_stays_blocked(ledger, session, disclosure, types):
    contact = history(ledger, session, disclosure, types)
    erase_contact(session, contact, "privacy@bloomandbranch.example")
    session.commit()
    again = Contact(phone=PHONE)
    session.add(again)
    session.flush()
    ledger.opt_in(again, types["marketing"], source="csv_import", disclosure=disclosure,
                  occurred_at=T0 + timedelta(days=1), actor="import",
                  evidence=Evidence(document_url="s3://forms/old.pdf"))
    session.commit()
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], PHONE)


def test_a_newer_proven_opt_in_lifts_the_suppression(ledger, session, disclosure, types):
    contact = history(ledger, session, disclosure, types)
    ledger.opt_in(contact, types["marketing"], source="keyword", disclosure=disclosure,
                  occurred_at=T0 + timedelta(days=10), actor="inbound SMS",
                  evidence=Evidence(keyword_text="START"))
    session.commit()
    assert not is_suppressed(session, current_app.config["SUPPRESSION_KEY"], PHONE)


def test_rebuild_reports_and_fixes_drift(ledger, session, disclosure, types):
    contact = history(ledger, session, disclosure, types)
    row = session.scalars(sa.select(Consent).where(Consent.contact_id == contact.id,
                                                   Consent.message_type_id == types["marketing"].id)).one()
    # Drift as only a raw SQL edit can make it: the ORM refuses to write derived state.
    session.execute(sa.update(Consent).where(Consent.id == row.id).values(state="opted_in"))
    session.execute(sa.delete(Consent).where(Consent.message_type_id == types["support"].id))
    session.commit()
    drift = rebuild(session)
    session.commit()
    assert len(drift.differences) == 2
    assert rebuild(session).differences == []
    assert session.scalars(sa.select(Consent.state).where(Consent.id == row.id)).one() == "opted_out"


def test_cli_verify_and_rebuild(runner, ledger, session, disclosure, types):
    history(ledger, session, disclosure, types)
    verified = runner.invoke(["consent", "verify", "--json"])
    assert verified.exit_code == 0
    assert json.loads(verified.output) == {"ok": True, "events": 2, "erased": 0,
                                           "broken_seq": None, "reason": None}
    rebuilt = runner.invoke(["consent", "rebuild"])
    assert "0 drift(s) fixed" in rebuilt.output


def test_cli_verify_exits_1_on_a_broken_chain(runner, ledger, session, disclosure, types):
    history(ledger, session, disclosure, types)
    _without_triggers(session)
    try:
        session.execute(sa.text("UPDATE consent_event SET actor = 'someone else' WHERE seq = 2"))
        session.commit()
        result = runner.invoke(["consent", "verify"])
        assert result.exit_code == 1
        assert "BROKEN at event #2" in result.output
    finally:
        _restore_triggers(session)


def test_proof_document_for_a_number(runner, ledger, session, disclosure, types, tmp_path):
    history(ledger, session, disclosure, types)
    as_json = runner.invoke(["consent", "proof", "(415) 555-2671", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert [e["action"] for e in document["events"]] == ["opt_in", "opt_out"]
    first = document["events"][0]
    assert first["disclosure"]["text"] == disclosure.text
    assert first["disclosure"]["text_matches_recorded_hash"] is True
    assert first["evidence"]["ip"] == "203.0.113.7"
    assert document["chain"]["ok"] and document["chain"]["these_events_intact"]
    assert document["suppressed"] is True
    out = tmp_path / "proof.html"
    runner.invoke(["consent", "proof", PHONE, "-o", str(out)])
    html = out.read_text()
    assert "Proof of consent for +14155552671" in html
    assert "I agree to receive texts. Reply STOP to cancel." in html
    assert "<script" not in html and "http-equiv" not in html


def test_proof_for_an_unknown_number_is_a_clear_error(runner):
    result = runner.invoke(["consent", "proof", "+12125550123"])
    assert result.exit_code != 0
    assert "No contact has the number +12125550123" in result.output


def test_cli_erase(runner, ledger, session, disclosure, types):
    history(ledger, session, disclosure, types)
    result = runner.invoke(["contact", "erase", PHONE, "--actor", "privacy@bloomandbranch.example"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(["consent", "verify"]).exit_code == 0


def test_admin_proof_page_shows_the_document_to_support(
        app, client, login, ledger, session, disclosure, types):
    contact = history(ledger, session, disclosure, types)
    contact_id = contact.id
    login("support")
    listing = client.get("/admin/contact/").get_data(as_text=True)
    assert f"/admin/contact/proof/{contact_id}" in listing
    page = client.get(f"/admin/contact/proof/{contact_id}")
    assert page.status_code == 200
    assert "Proof of consent for +14155552671" in page.get_data(as_text=True)
    as_json = client.get(f"/admin/contact/proof/{contact_id}?format=json").get_json()
    assert as_json["chain"]["ok"] is True
    assert client.get("/admin/contact/proof/999999").status_code == 404


_values = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text())


@settings(max_examples=3000, deadline=None)
@given(fields=st.dictionaries(st.text(), _values, max_size=20))
def test_canonical_json_is_the_standard_librarys_bytes(fields):
    """Every hash in every chain was computed over json.dumps' bytes: a faster encoder must
    give exactly those (quotes, controls, NUL, non-ASCII, U+2028, big integers...)."""
    expected = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert chain.canonical(fields) == expected.encode()


@settings(max_examples=1000, deadline=None)
@given(moment=st.datetimes(
    # A day inside the range at both ends: 0001-01-01 00:00 in Kolkata is before year 1 in UTC.
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
                               ZoneInfo("Pacific/Kiritimati")])))
def test_an_instant_is_written_as_strftime_writes_it(moment):
    utc = moment.astimezone(UTC)
    assert chain.instant(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
