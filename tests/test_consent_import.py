"""CSV import and export of consent records."""

import csv
import gc
import io
import json

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import chain, is_suppressed
from core.consent.imports import Importer
from core.consent.maintenance import rebuild
from core.models import Consent, ConsentEvent, Contact, Disclosure, MessageType

GOOD = """phone,message_type,action,occurred_at,source,source_detail,disclosure,page_url,ip,user_agent,first_name
(415) 555-2671,marketing,opt_in,2026-03-01T15:30:00-05:00,web_form,checkout,Checkout,https://bloomandbranch.example/checkout,203.0.113.7,Mozilla/5.0,Ana
212-555-0123,transactional,opt_in,2026-03-02T10:00:00Z,paper_form,form 17,Checkout,,,,Ben
+12125550123,all,opt_out,2026-03-05T10:00:00Z,keyword,STOP,,,,,
"""

BAD = """phone,message_type,action,occurred_at,source,disclosure
555-CALL-NOW,marketing,opt_in,2026-03-01T15:30:00Z,web_form,Checkout
+14155552671,carrier pigeons,opt_in,2026-03-01T15:30:00Z,web_form,Checkout
+14155552671,marketing,opt_in,2026-03-01T15:30:00Z,web_form,
+14155552671,marketing,opt_in,2026-03-01 15:30,web_form,Checkout
+14155552671,marketing,opt_in,2026-03-01T15:30:00Z,purchased_list,Checkout
+14155552671,marketing,maybe,2026-03-01T15:30:00Z,web_form,Checkout
+14155552671,marketing,opt_in,2026-03-01T15:30:00Z,web_form,Unknown form
+13055550199,marketing,opt_in,2026-03-01T15:30:00Z,web_form,Checkout
"""


@pytest.fixture
def importer(session):
    session.add(Disclosure(name="Checkout", text="I agree to receive texts. Reply STOP to cancel."))
    session.flush()
    return Importer(session, current_app.extensions["consentdesk"].consent_sources,
                    current_app.config["SUPPRESSION_KEY"], "import test")


def run(importer, text, batch_size=5000):
    report = importer.run(io.StringIO(text), batch_size=batch_size)
    importer.session.commit()
    return report


def test_good_rows_import_with_chain_state_and_suppression(importer, session):
    report = run(importer, GOOD)
    assert (report.imported, report.duplicates, report.errors) == (3, 0, [])
    assert chain.verify(session).ok
    assert rebuild(session, fix=False).differences == []
    ana = session.scalars(sa.select(Contact).filter_by(phone="+14155552671")).one()
    assert (ana.first_name, ana.timezone) == ("Ana", "America/Los_Angeles")
    event = session.scalars(sa.select(ConsentEvent).filter_by(contact_id=ana.id)).one()
    assert event.evidence.ip == "203.0.113.7" and event.disclosure.name == "Checkout"
    assert is_suppressed(session, current_app.config["SUPPRESSION_KEY"], "+12125550123")
    ben_states = set(session.scalars(sa.select(Consent.state).join(Contact)
                                     .where(Contact.phone == "+12125550123")))
    assert ben_states == {"opted_out"}


def test_each_bad_row_is_reported_with_its_line_and_the_rest_import(importer, session):
    report = run(importer, BAD)
    assert report.imported == 1
    reasons = dict(report.errors)
    assert "not a valid phone number" in reasons[2]
    assert "unknown message type 'carrier pigeons'" in reasons[3]
    assert "needs the disclosure" in reasons[4]
    assert "needs a UTC offset" in reasons[5]
    assert "cannot prove consent" in reasons[6]
    assert "is not opt_in or opt_out" in reasons[7]
    assert "unknown disclosure 'Unknown form'" in reasons[8]
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8]


def test_importing_the_same_file_twice_adds_nothing(importer, session):
    run(importer, GOOD)
    again = run(importer, GOOD.replace("(415) 555-2671", "+1 415 555 2671"))
    assert (again.imported, again.duplicates) == (0, 3)
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 3


def test_small_batches_give_the_same_result(importer, session):
    report = run(importer, GOOD, batch_size=1)
    assert report.imported == 3
    assert chain.verify(session).ok
    assert rebuild(session, fix=False).differences == []


def test_a_missing_required_column_is_one_clear_error(importer):
    report = run(importer, "phone,occurred_at\n+14155552671,2026-03-01T15:30:00Z\n")
    assert report.errors == [(1, "missing column(s): message_type")]


def test_import_then_single_writes_keep_one_chain(importer, session):
    from core.consent import app_ledger
    from core.db import utcnow

    run(importer, GOOD)
    ana = session.scalars(sa.select(Contact).filter_by(phone="+14155552671")).one()
    app_ledger(current_app, session).opt_out(ana, None, source="admin", actor="x",
                                             occurred_at=utcnow())
    session.commit()
    assert chain.verify(session).events == 4


def test_cli_import_and_exports(runner, session, tmp_path):
    session.add(Disclosure(name="Checkout", text="I agree to receive texts. Reply STOP to cancel."))
    session.commit()
    source = tmp_path / "consents.csv"
    source.write_text(GOOD + "=HYPERLINK(1),marketing,opt_in,2026-03-01T15:30:00Z,web_form,,Checkout\n")
    result = runner.invoke(["consent", "import", str(source), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["imported"] == 3 and data["errors"][0]["line"] == 5
    state_file, events_file = tmp_path / "state.csv", tmp_path / "events.csv"
    runner.invoke(["consent", "export", "state", "-o", str(state_file)])
    runner.invoke(["consent", "export", "events", "-o", str(events_file)])
    state = list(csv.DictReader(state_file.open()))
    assert {row["phone"] for row in state} == {"+14155552671", "+12125550123"}
    events = list(csv.DictReader(events_file.open()))
    assert [e["action"] for e in events] == ["opt_in", "opt_in", "opt_out"]
    assert events[0]["phone"] == "+14155552671" and events[2]["message_type"] == "all"


def test_export_neutralises_formulas(session, tmp_path):
    from core.consent import app_ledger
    from core.consent.exports import write_events
    from core.db import utcnow

    contact = Contact(phone="+14155552671", first_name="=cmd|' /C calc'!A0")
    session.add(contact)
    session.flush()
    app_ledger(current_app, session).opt_out(contact, None, source="admin", actor="=1+1",
                                             source_detail="@SUM(A1)", occurred_at=utcnow())
    out = io.StringIO()
    write_events(session, out)
    row = list(csv.DictReader(io.StringIO(out.getvalue())))[0]
    assert (row["actor"], row["source_detail"], row["phone"]) == ("'=1+1", "'@SUM(A1)", "+14155552671")


def test_rows_validated_in_a_worker_process_import_the_same(importer, session):
    good = importer.run(io.StringIO(GOOD), batch_size=2, workers=1)
    bad = importer.run(io.StringIO(BAD), batch_size=3, workers=1)
    session.commit()
    assert (good.imported, good.errors) == (3, [])
    assert bad.imported == 1 and sorted(dict(bad.errors)) == [2, 3, 4, 5, 6, 7, 8]
    assert chain.verify(session).ok and rebuild(session, fix=False).differences == []
    header_only = importer.run(io.StringIO(GOOD.splitlines()[0] + "\n"), workers=1)
    assert (header_only.imported, header_only.errors) == (0, [])
    assert gc.isenabled()  # paused for the import only


def test_admin_upload_imports_and_lists_rejects(client, login, session):
    session.add(Disclosure(name="Checkout", text="I agree to receive texts. Reply STOP to cancel."))
    session.commit()
    login("marketing")
    page = client.post("/admin/consentimport/", data={
        "file": (io.BytesIO((GOOD + "12,marketing,opt_in,2026-03-01T15:30:00Z,web_form,,Checkout\n")
                            .encode()), "consents.csv")},
        content_type="multipart/form-data")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>3</strong> imported" in body and "not a valid phone number" in body
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 3


def test_support_cannot_import(client, login):
    login("support")
    assert client.get("/admin/consentimport/").status_code == 403


def test_quoted_line_breaks_keep_line_numbers_and_an_unclosed_quote_is_reported(importer,
                                                                                 session):
    text = ("Phone, Message_Type ,occurred_at,source,source_detail,disclosure\n"
            '+14155552671,marketing,2026-03-01T15:30:00Z,paper_form,"form 17\nsigned, in store",'
            "Checkout\n"
            "\n"
            "+12125550123,marketing,2026-03-01T15:30:00Z,web_form,,Nope\n"
            '+13125550188,marketing,2026-03-01T15:30:00Z,web_form,"never closed,Checkout\n'
            "+16175550100,marketing,2026-03-01T15:30:00Z,web_form,,Checkout\n")
    report = run(importer, text, batch_size=1)
    assert report.imported == 1
    event = session.scalars(sa.select(ConsentEvent)).one()
    assert event.source_detail == "form 17\nsigned, in store"
    assert [line for line, _ in report.errors] == [5, 6, 6]
    reasons = " | ".join(reason for _, reason in report.errors)
    assert "unknown disclosure 'Nope'" in reasons and "never closed" in reasons
    assert chain.verify(session).ok


def test_a_value_longer_than_its_column_is_refused_not_truncated(importer, session):
    text = ("phone,message_type,occurred_at,source,disclosure,first_name\n"
            f"+14155552671,marketing,2026-03-01T15:30:00Z,web_form,Checkout,{'A' * 101}\n"
            "+12125550123,marketing,2026-03-01T15:30:00Z,web_form,Checkout,Ben\n")
    report = run(importer, text)
    assert report.imported == 1
    assert report.errors == [(2, "first_name is longer than 100 characters")]


def test_a_zip_or_state_column_places_new_contacts_and_a_bad_one_is_refused(importer, session):
    text = ("phone,message_type,occurred_at,source,disclosure,ZIP,state\n"
            "+13055550199,marketing,2026-03-01T15:30:00Z,web_form,Checkout,10001,\n"
            "+13055550100,marketing,2026-03-01T15:30:00Z,web_form,Checkout,,Texas\n"
            "+13055550101,marketing,2026-03-01T15:30:00Z,web_form,Checkout,,\n"
            "+13055550102,marketing,2026-03-01T15:30:00Z,web_form,Checkout,1000,\n")
    report = run(importer, text)
    assert report.imported == 3
    assert report.errors == [(5, "'1000' is not a US ZIP code (five digits, or ZIP+4)")]
    places = {row.phone: tuple(row)[1:] for row in session.execute(sa.select(
        Contact.phone, Contact.postal_code, Contact.state, Contact.timezone))}
    assert places["+13055550199"] == ("10001", "NY", "America/New_York")
    assert places["+13055550100"] == (None, "TX", "America/Chicago")
    assert places["+13055550101"] == (None, "FL", "America/New_York")


def test_imported_events_hash_as_the_ledger_verifies_them_whatever_they_hold(importer, session):
    text = ("phone,message_type,occurred_at,source,source_detail,disclosure,user_agent\n"
            '+14155552671,marketing,2026-03-01T15:30:00.123456+05:30,paper_form,'
            '"form ""17"", 100% \\\\ signed\u2028été 😊",Checkout,"Mozilla/5.0 ""x"""\n')
    assert run(importer, text).imported == 1
    assert chain.verify(session).ok
    assert session.scalars(sa.select(ConsentEvent)).one().source_detail == \
        'form "17", 100% \\\\ signed\u2028été 😊'


def test_a_batch_mixing_known_and_new_contacts_derives_what_the_ledger_would(importer, session):
    """New contacts with one event take their state straight from it (all types for an
    opt-out without one); known ones and new ones with several events are folded."""
    run(importer, GOOD)
    report = run(importer, """phone,message_type,action,occurred_at,source,disclosure
+14155552671,marketing,opt_out,2026-04-01T10:00:00Z,keyword,
+13125550101,all,opt_out,2026-04-01T10:00:00Z,keyword,
+13125550102,marketing,opt_in,2026-04-01T10:00:00Z,web_form,Checkout
+13125550103,marketing,opt_in,2026-04-01T10:00:00Z,web_form,Checkout
+13125550103,marketing,opt_out,2026-04-02T10:00:00Z,keyword,
""")
    assert (report.imported, report.errors) == (5, [])
    assert rebuild(session, fix=False).differences == []
    types = session.scalar(sa.select(sa.func.count()).select_from(MessageType))
    states = session.execute(sa.select(Contact.phone, Consent.state).join(Contact)
                             .where(Contact.phone.like("+1312555010%"))).all()
    assert sorted(states) == sorted([("+13125550101", "opted_out")] * types
                                    + [("+13125550102", "opted_in"),
                                       ("+13125550103", "opted_out")])


def test_an_instant_in_the_future_or_before_text_messages_is_refused(importer, session):
    report = run(importer, """phone,message_type,action,occurred_at,source,disclosure
+14155552671,marketing,opt_in,2999-01-01T00:00:00Z,web_form,Checkout
+14155552671,all,opt_out,0999-01-01T00:00:00Z,keyword,
+14155552671,all,opt_out,1991-12-31T23:59:59Z,keyword,
+14155552671,all,opt_out,1992-01-01T00:00:00Z,keyword,
""")
    assert report.imported == 1
    reasons = dict(report.errors)
    assert "is in the future" in reasons[2]
    assert "before 1992" in reasons[3] and "before 1992" in reasons[4]
