"""Admin forms: phone validation, frozen disclosures, CSRF, search, filters, safe CSV export."""

import csv
import io
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from core.consent import app_ledger
from core.models import Contact, Disclosure, MessageType

PASSWORD = "correct horse battery staple"


def test_bad_phone_is_a_form_error_and_no_row(client, login, session):
    login("support")
    response = client.post(
        "/admin/contact/new/", data={"phone": "555-CALL-NOW", "tags": "", "attributes": ""}
    )
    assert response.status_code == 200
    assert "555-CALL-NOW&#39; is not a valid phone number" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count(Contact.id))) == 0


def test_national_format_is_stored_as_e164_with_timezone(client, login, session):
    login("support")
    client.post("/admin/contact/new/",
                data={"phone": "212-555-0123", "tags": "vip", "attributes": ""})
    contact = session.scalars(sa.select(Contact)).one()
    assert (contact.phone, contact.timezone, contact.tags) == (
        "+12125550123", "America/New_York", ["vip"]
    )


def test_a_zip_code_places_the_contact_and_a_bad_one_is_a_form_error(client, login, session):
    login("support")
    refused = client.post("/admin/contact/new/", data={
        "phone": "305-555-0199", "postal_code": "1000", "tags": "", "attributes": ""})
    assert "is not a US ZIP code" in refused.get_data(as_text=True)
    client.post("/admin/contact/new/", data={"phone": "305-555-0199", "postal_code": "10001",
                                             "state": "", "tags": "", "attributes": ""})
    contact = session.scalars(sa.select(Contact)).one()
    assert (contact.postal_code, contact.state, contact.timezone) == (
        "10001", "NY", "America/New_York")


def test_duplicate_phone_is_refused_without_touching_the_first(client, login, session):
    session.add(Contact(phone="+14155552671", first_name="Ana"))
    session.commit()
    login("support")
    response = client.post("/admin/contact/new/", data={"phone": "(415) 555-2671",
                                                        "tags": "", "attributes": ""})
    assert response.status_code == 200
    session.expire_all()
    assert [c.first_name for c in session.scalars(sa.select(Contact))] == ["Ana"]


def _cite(session, disclosure):
    contact = Contact(phone="+14155552671")
    session.add(contact)
    session.flush()
    marketing = session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
    app_ledger(current_app, session).opt_in(
        contact, marketing, source="web_form", disclosure=disclosure,
        occurred_at=datetime(2026, 5, 1, tzinfo=UTC), actor="web form",
    )
    session.commit()


def test_a_cited_disclosure_cannot_be_edited(client, login, session):
    disclosure = Disclosure(name="Checkout", text="Original text. Reply STOP to cancel.")
    session.add(disclosure)
    session.flush()
    original_hash = disclosure.content_hash
    _cite(session, disclosure)
    login("marketing")
    response = client.post(
        "/admin/disclosure/edit/?id=1",
        data={"name": "Checkout", "version": "1", "language": "en", "text": "Sneaky new text"},
    )
    assert "cannot change" in response.get_data(as_text=True) or response.status_code == 302
    session.expire_all()
    stored = session.get(Disclosure, 1)
    assert (stored.text, stored.content_hash) == ("Original text. Reply STOP to cancel.",
                                                  original_hash)


def test_an_uncited_disclosure_can_be_fixed_and_its_hash_follows(client, login, session):
    session.add(Disclosure(name="Draft", text="Typo"))
    session.commit()
    login("marketing")
    client.post("/admin/disclosure/edit/?id=1",
                data={"name": "Draft", "version": "1", "language": "en", "text": "Fixed"})
    session.expire_all()
    from core.models import text_hash

    assert session.get(Disclosure, 1).content_hash == text_hash("Fixed")


def test_forms_refuse_a_post_without_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    from core.security import create_user

    with app.app_context():
        create_user(app, "support@bloomandbranch.example", PASSWORD, ["support"])
    login_page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in login_page
    refused = client.post("/login", data={"email": "support@bloomandbranch.example",
                                          "password": PASSWORD})
    assert refused.status_code != 302
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post("/login", data={"email": "support@bloomandbranch.example",
                                            "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    form = client.get("/admin/contact/new/").get_data(as_text=True)
    assert 'name="csrf_token"' in form
    client.post("/admin/contact/new/", data={"phone": "+14155552671", "tags": "",
                                             "attributes": ""})
    with app.app_context():
        from core.db import db

        assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 0


def test_search_finds_by_phone_and_name(client, login, session):
    session.add_all([Contact(phone="+14155552671", first_name="Ana"),
                     Contact(phone="+12125550123", first_name="Ben")])
    session.commit()
    login("support")
    page = client.get("/admin/contact/?search=2125550123").get_data(as_text=True)
    assert "+12125550123" in page and "+14155552671" not in page
    page = client.get("/admin/contact/?search=Ana").get_data(as_text=True)
    assert "+14155552671" in page and "+12125550123" not in page


def test_date_range_filter_on_consent_events(client, login, session):
    contact = Contact(phone="+14155552671")
    session.add(contact)
    session.flush()
    ledger = app_ledger(current_app, session)
    for day, detail in ((3, "march"), (20, "march-late")):
        ledger.opt_out(contact, None, source="admin", actor="x", source_detail=detail,
                       occurred_at=datetime(2026, 3, day, 12, tzinfo=UTC))
    session.commit()
    login("support")
    listing = client.get("/admin/consentevent/").get_data(as_text=True)
    filter_index = _filter_index(listing, "Occurred At", "between")
    page = client.get(
        f"/admin/consentevent/?flt0_{filter_index}=2026-03-01+00:00:00+to+2026-03-10+00:00:00"
    ).get_data(as_text=True)
    assert re.search(r">\s*march\s*<", page) and "march-late" not in page


def _filter_index(listing: str, column: str, operation: str) -> int:
    import json

    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>\s*(.*?)\s*<', listing, re.S)[1])
    for option in groups[column]:
        if option["operation"] == operation:
            return option["index"]
    raise AssertionError(f"no {operation} filter on {column}")


def test_csv_export_neutralises_formulas_and_keeps_e164(client, login, session):
    session.add(Contact(phone="+14155552671", first_name="=HYPERLINK(\"http://evil\")",
                        last_name="@SUM(A1)", email="-2+3@example.com"))
    session.commit()
    login("support")
    response = client.get("/admin/contact/export/csv/")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["Phone"] == "+14155552671"
    assert rows[0]["First Name"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["Last Name"] == "'@SUM(A1)"
    assert rows[0]["Email"] == "'-2+3@example.com"


def test_repeated_failed_logins_are_locked_out(app, client):
    from core.security import create_user

    with app.app_context():
        create_user(app, "support@bloomandbranch.example", PASSWORD, ["support"])
    statuses = [
        client.post("/login", data={"email": "Support@bloomandbranch.example",
                                    "password": f"guess {n}"}).status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    right_password = client.post("/login", data={"email": "support@bloomandbranch.example",
                                                 "password": PASSWORD})
    assert right_password.status_code == 429
    other_account = client.post("/login", data={"email": "admin@bloomandbranch.example",
                                                "password": "guess"})
    assert other_account.status_code == 200
