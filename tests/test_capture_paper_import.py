"""A stack of signed paper forms imported at once: each row names its scan in a folder; a bad
row records nothing and keeps every other; a second run records nothing new."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from core.consent import chain
from core.models import Campaign, ConsentDocument, ConsentEvent, Contact, Disclosure
from tests.test_capture_paper import JPEG, PDF, PNG
from tests.test_capture_paper import world as world  # noqa: F401  (the fixture)

HEADER = "file,phone,message_types,signed_on,disclosure,first_name,campaign,note\n"


@pytest.fixture
def scans(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "ana.pdf").write_bytes(PDF)
    (folder / "ben.jpg").write_bytes(JPEG)
    (folder / "cy.png").write_bytes(PNG)
    (folder / "notes.txt").write_bytes(b"not a scan")
    (folder / "renamed.pdf").write_bytes(b"GIF89a" + b"\x00" * 20)
    (tmp_path / "secret.pdf").write_bytes(PDF + b"outside")
    return folder


def run(runner, scans, rows: str, header: str = HEADER):
    sheet = scans.parent / "forms.csv"
    sheet.write_text(header + rows, encoding="utf-8")
    result = runner.invoke(["consent", "import-paper", str(scans), str(sheet), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


GOOD = ("ana.pdf,(212) 555-0123,marketing transactional,2026-11-02,Paper form,Ana,In store,"
        "Market St\n"
        "ben.jpg,+1 415 555 0134,marketing,2026-10-30,Paper form,Ben,,\n")


def test_each_row_records_its_opt_ins_proven_by_its_scan(runner, scans, world, session):
    report = run(runner, scans, GOOD)
    assert report == {"imported": 3, "forms": 2, "duplicates": 0, "errors": []}
    events = session.scalars(sa.select(ConsentEvent).join(Contact)
                             .where(Contact.phone == "+12125550123")).all()
    assert sorted(e.message_type.slug for e in events) == ["marketing", "transactional"]
    for event in events:
        assert event.source == "paper_form" and event.action == "opt_in"
        assert event.document_hash == hashlib.sha256(PDF).hexdigest()
        assert event.document_url.endswith(f"/admin/paperconsent/document/{event.document_hash}")
        assert event.campaign_id == session.scalar(sa.select(Campaign.id))
        assert event.disclosure_id == session.scalar(sa.select(Disclosure.id))
        assert event.occurred_at.date().isoformat() == "2026-11-02"
        assert "ana.pdf" in event.source_detail and "Market St" in event.source_detail
    document = session.scalars(sa.select(ConsentDocument).where(
        ConsentDocument.sha256 == hashlib.sha256(JPEG).hexdigest())).one()
    assert document.content_type == "image/jpeg" and document.data == JPEG
    assert chain.verify(session).ok


def test_a_second_run_records_nothing_new(runner, scans, world, session):
    run(runner, scans, GOOD)
    count = session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent))
    again = run(runner, scans, GOOD)
    assert again == {"imported": 0, "forms": 0, "duplicates": 2, "errors": []}
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == count
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentDocument)) == 2


@pytest.mark.parametrize(("row", "reason"), [
    ("missing.pdf,(212) 555-0100,marketing,2026-11-02,Paper form,,,", "no file 'missing.pdf'"),
    ("../secret.pdf,(212) 555-0100,marketing,2026-11-02,Paper form,,,", "not a path"),
    ("/etc/passwd,(212) 555-0100,marketing,2026-11-02,Paper form,,,", "not a path"),
    ("notes.txt,(212) 555-0100,marketing,2026-11-02,Paper form,,,", "not a PDF, JPEG or PNG"),
    ("renamed.pdf,(212) 555-0100,marketing,2026-11-02,Paper form,,,", "not a PDF, JPEG or PNG"),
    ("cy.png,555-01,marketing,2026-11-02,Paper form,,,", "phone"),
    ("cy.png,(212) 555-0100,promos,2026-11-02,Paper form,,,", "unknown message type(s) promos"),
    ("cy.png,(212) 555-0100,marketing,02/11/2026,Paper form,,,", "not a date"),
    ("cy.png,(212) 555-0100,marketing,2999-01-01,Paper form,,,", "in the future"),
    ("cy.png,(212) 555-0100,marketing,2026-11-02,Old form,,,", "no disclosure 'Old form'"),
    ("cy.png,(212) 555-0100,marketing,2026-11-02,Paper form,,Nope,", "no campaign 'Nope'"),
    ("cy.png,(212) 555-0100,,2026-11-02,Paper form,,,", "message_types is empty"),
    ("cy.png,,marketing,2026-11-02,Paper form,,,", "phone is empty"),
])
def test_a_bad_row_is_reported_and_keeps_the_others(runner, scans, world, session, row,
                                                    reason):
    report = run(runner, scans, GOOD + row + "\n")
    assert report["imported"] == 3 and report["forms"] == 2
    [error] = report["errors"]
    assert error["line"] == 4 and reason.lower() in error["reason"].lower(), error
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)
                          .where(Contact.phone == "+12125550100")) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentDocument)) == 2
    assert chain.verify(session).ok


def test_a_sheet_without_the_needed_columns_records_nothing(runner, scans, world, session):
    report = run(runner, scans, "ana.pdf,(212) 555-0123\n", header="file,phone\n")
    assert report["forms"] == 0
    assert "message_types, signed_on, disclosure" in report["errors"][0]["reason"]
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 0


def test_the_verbal_rule_holds_here_too(runner, scans, world, session):
    """There is no source column: a paper import records paper_form, never 'verbal'."""
    run(runner, scans, GOOD)
    sources = set(session.scalars(sa.select(ConsentEvent.source)))
    assert sources == {"paper_form"}
