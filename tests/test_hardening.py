"""Tried as an attacker and as a careless staff member would: derived and evidence fields no
role can write, database errors never shown, security headers, cookies, logout, the login
throttle, file permissions and the audit log."""

import csv
import io
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.consent import app_ledger
from core.consent.suppression import phone_hmac
from core.models import (
    AuditLog,
    Consent,
    ConsentEvent,
    Contact,
    Disclosure,
    Message,
    MessageType,
    Suppression,
)
from core.models.guard import ProtectedField

PASSWORD = "correct horse battery staple"
PHONE = "+14155552671"
ROLES = ("admin", "marketing", "support", "operations")
CAN_EDIT_CONTACTS = {"admin", "support"}
CONTACT_FIELDS = {
    "phone_hmac": "0" * 64,
    "erased_at": "2026-01-01 00:00:00",
    "undeliverable_at": "2026-01-01 00:00:00",
    "undeliverable_code": "made up",
}
SQL_WORDS = ("INSERT", "DELETE FROM", "UPDATE ", "IntegrityError", "FOREIGN KEY", "sqlite3",
             "psycopg", "Traceback", "constraint")


@pytest.fixture
def contact(app, session):
    contact = Contact(phone=PHONE, first_name="Ana")
    session.add(contact)
    session.commit()
    return contact


@pytest.fixture
def evidence(app, session, contact):
    """The contact opted in: an event, a derived state and a message refer to it."""
    disclosure = Disclosure(name="Checkout", text="Order texts from Bloom & Branch.")
    session.add(disclosure)
    kind = session.scalars(sa.select(MessageType).filter_by(slug="transactional")).one()
    app_ledger(app, session).opt_in(contact, kind, source="web_form", disclosure=disclosure,
                                    actor="checkout",
                                    occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    session.commit()
    return contact


def fresh(session, model, row_id):
    session.expire_all()
    return session.get(model, row_id)


# Derived and evidence fields, per role and per field.

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", sorted(CONTACT_FIELDS))
def test_no_role_writes_a_derived_contact_field_through_the_edit_form(
        client, login, session, contact, role, field):
    login(role)
    before = fresh(session, Contact, contact.id)
    expected = getattr(before, field)
    form = client.get(f"/admin/contact/edit/?id={contact.id}")
    if role not in CAN_EDIT_CONTACTS:
        assert form.status_code == 403
    else:
        assert f'name="{field}"' not in form.get_data(as_text=True)
    response = client.post(f"/admin/contact/edit/?id={contact.id}",
                           data={"phone": PHONE, "first_name": "Ana", "tags": "",
                                 "attributes": "", field: CONTACT_FIELDS[field]})
    assert response.status_code in ((302, 200) if role in CAN_EDIT_CONTACTS else (403,))
    assert getattr(fresh(session, Contact, contact.id), field) == expected


@pytest.mark.parametrize("field", sorted(CONTACT_FIELDS))
def test_a_new_contact_cannot_be_created_with_a_derived_field(client, login, session, field):
    login("support")
    client.post("/admin/contact/new/", data={"phone": PHONE, "tags": "", "attributes": "",
                                             field: CONTACT_FIELDS[field]})
    created = session.scalars(sa.select(Contact).filter_by(phone=PHONE)).one()
    assert created.erased_at is None and created.undeliverable_at is None
    assert created.phone_hmac == phone_hmac(client.application.config["SUPPRESSION_KEY"], PHONE)


@pytest.mark.parametrize("field", sorted(CONTACT_FIELDS))
def test_inline_edit_of_a_derived_field_is_refused(client, login, session, contact, field):
    login("admin")
    before = getattr(fresh(session, Contact, contact.id), field)
    response = client.post("/admin/contact/ajax/update/",
                           data={"list_form_pk": str(contact.id), field: CONTACT_FIELDS[field]})
    assert response.status_code >= 400
    assert getattr(fresh(session, Contact, contact.id), field) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ["message", "consent", "consentevent", "suppression",
                                      "auditlog", "webhookevent", "click"])
def test_evidence_screens_have_no_edit_form_for_any_role(client, login, session, role,
                                                         endpoint):
    login(role)
    assert client.get(f"/admin/{endpoint}/edit/?id=1").status_code == 403
    assert client.post(f"/admin/{endpoint}/edit/?id=1", data={}).status_code == 403


@pytest.mark.parametrize(("model", "field", "value"), [
    (Contact, "phone_hmac", "0" * 64),
    (Contact, "erased_at", datetime(2026, 1, 1, tzinfo=UTC)),
    (Contact, "undeliverable_at", datetime(2026, 1, 1, tzinfo=UTC)),
    (Contact, "undeliverable_code", "made up"),
    (Consent, "state", "opted_out"),
    (Consent, "since", datetime(2020, 1, 1, tzinfo=UTC)),
    (Message, "provider_message_id", "SMforged"),
    (Suppression, "since", datetime(2020, 1, 1, tzinfo=UTC)),
])
def test_the_model_guard_refuses_any_other_write(app, session, evidence, model, field, value):
    if model is Message:
        session.add(Message(direction="out", status="sent", contact_id=evidence.id,
                            phone=PHONE, body="hi", idempotency_key="k1"))
    if model is Suppression:
        app_ledger(app, session).opt_out(evidence, None, source="admin", actor="test",
                                         occurred_at=datetime(2026, 4, 1, tzinfo=UTC))
    session.commit()
    row = session.scalars(sa.select(model)).first()
    setattr(row, field, value)
    with pytest.raises(ProtectedField):
        session.flush()
    session.rollback()


def test_the_consent_ledger_still_writes_what_it_owns(app, session, evidence):
    app_ledger(app, session).opt_out(evidence, None, source="admin", actor="test",
                                     occurred_at=datetime(2026, 4, 1, tzinfo=UTC))
    session.commit()
    assert {c.state for c in session.scalars(sa.select(Consent))} == {"opted_out"}


def test_a_csv_import_cannot_set_derived_fields(runner, session, tmp_path, evidence):
    path = tmp_path / "import.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phone", "message_type", "occurred_at", "action", "phone_hmac",
                         "erased_at", "undeliverable_at", "state"])
        writer.writerow([PHONE, "transactional", "2026-03-02T10:00:00Z", "opt_out", "0" * 64,
                         "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "opted_in"])
    runner.invoke(["consent", "import", str(path)])
    contact = fresh(session, Contact, evidence.id)
    assert contact.erased_at is None and contact.undeliverable_at is None
    assert contact.phone_hmac != "0" * 64


# Database refusals in plain words.

def test_deleting_a_contact_with_evidence_explains_and_offers_erasure(
        client, login, session, evidence):
    login("admin")
    response = client.post("/admin/contact/delete/", data={"id": str(evidence.id)},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "cannot be deleted" in page and "Erase personal data" in page
    for word in SQL_WORDS:
        assert word not in page, word
    assert fresh(session, Contact, evidence.id) is not None


def test_the_delete_action_on_the_list_says_the_same(client, login, session, evidence):
    login("admin")
    response = client.post("/admin/contact/action/",
                           data={"action": "delete", "rowid": str(evidence.id)},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "cannot be deleted" in page
    for word in SQL_WORDS:
        assert word not in page, word


# Headers, caching and cookies.

def test_pages_send_the_security_headers(client, login):
    for path in ("/login", "/admin/contact/"):
        if path.startswith("/admin"):
            login("admin")
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "'nonce-" in csp and "'unsafe-inline'" not in \
            csp.split("script-src")[1].split(";")[0]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["Cache-Control"] == "no-store"


def test_no_page_loads_anything_from_another_host(client, login):
    login("admin")
    page = client.get("/admin/contact/").get_data(as_text=True)
    assert "googleapis" not in page and "https://" not in page.split("<body")[0]
    theme = client.get("/admin-assets/theme/flatly.css")
    assert theme.status_code == 200 and b"@import" not in theme.data
    assert b"fonts.googleapis" not in theme.data
    assert "no-store" not in theme.headers.get("Cache-Control", "")


def test_the_login_page_cache_control_is_well_formed(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_the_proof_page_is_not_cached(client, login, evidence):
    login("support")
    response = client.get(f"/admin/contact/proof/{evidence.id}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def _cookie(response, name):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_cookies_are_samesite_and_secure_only_over_https(make_app):
    from core.security import create_user

    for https, secure in (("0", False), ("1", True)):
        app = make_app(HTTPS=https)
        with app.app_context():
            create_user(app, f"admin{https}@bloomandbranch.example", PASSWORD, ["admin"])
        response = app.test_client().post("/login", data={
            "email": f"admin{https}@bloomandbranch.example", "password": PASSWORD,
            "remember": "y"}, base_url="https://x.example" if secure else "http://x.example")
        session_cookie = _cookie(response, "session")
        remember = _cookie(response, "remember_token")
        for cookie in (session_cookie, remember):
            assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
            assert ("Secure" in cookie) is secure
        expires = remember.split("Expires=")[1].split(";")[0]
        left = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC) \
            - datetime.now(UTC)
        assert timedelta(days=13) < left <= timedelta(days=14)


# Logout and CSRF.

def _token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0] \
        if 'name="csrf_token" type="hidden"' in page else \
        page.split('name="csrf_token" value="')[1].split('"')[0]


def test_logout_is_a_post_with_a_csrf_token(make_app):
    from core.security import create_user

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_user(app, "admin@bloomandbranch.example", PASSWORD, ["admin"])
    client = app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": "admin@bloomandbranch.example",
                                       "password": PASSWORD, "csrf_token": token}
                       ).status_code == 302
    assert client.get("/logout").status_code == 405  # a link or an image cannot log out
    cross_site = client.post("/logout", headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 400
    assert client.get("/admin/contact/").status_code == 200  # still signed in
    page = client.get("/admin/contact/").get_data(as_text=True)
    assert 'action="/logout"' in page
    assert client.post("/logout", data={"csrf_token": _token(page)}).status_code == 302
    assert client.get("/admin/contact/").status_code == 302  # to the login page


# The login throttle.

def test_json_logins_are_throttled_per_submitted_email_not_in_one_bucket(app, client):
    from core.security import create_user

    with app.app_context():
        create_user(app, "support@bloomandbranch.example", PASSWORD, ["support"])
    for n in range(5):
        assert client.post("/login", json={"email": "ana@example.com",
                                           "password": f"guess {n}"}).status_code == 400
    assert client.post("/login", json={"email": "ana@example.com",
                                       "password": "guess"}).status_code == 429
    other = client.post("/login", json={"email": "support@bloomandbranch.example",
                                        "password": PASSWORD})
    assert other.status_code == 200


def test_successful_logins_do_not_count_toward_the_limit(app):
    from core.security import create_user

    with app.app_context():
        create_user(app, "support@bloomandbranch.example", PASSWORD, ["support"])
    for _ in range(8):
        client = app.test_client()
        assert client.post("/login", data={"email": "support@bloomandbranch.example",
                                           "password": PASSWORD}).status_code == 302


# Files and the audit log.

def test_the_sqlite_database_and_queue_files_are_readable_by_their_owner_only(tmp_path):
    from core.app import create_app

    instance = tmp_path / "fresh"
    create_app({"INSTANCE_PATH": str(instance), "LOAD_ENTRYPOINTS": False})
    for name in ("consentdesk.db", "queue.db", "secrets.json"):
        mode = stat.S_IMODE(os.stat(instance / name).st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_only_admins_read_the_audit_log_and_it_never_shows_the_phone_hmac(
        client, login, session, contact):
    login("admin")
    client.post(f"/admin/contact/edit/?id={contact.id}",
                data={"phone": "+12125550123", "first_name": "Ana", "tags": "",
                      "attributes": ""})
    digest = fresh(session, Contact, contact.id).phone_hmac
    entry = session.scalars(sa.select(AuditLog).where(AuditLog.model == "Contact")).all()[-1]
    assert entry.after.get("phone_hmac") in (None, "(secret)")
    # A row logged before the HMAC was masked is shown masked.
    from core import audit

    old = audit.record(session, "admin@bloomandbranch.example", "update", contact,
                       before={"phone_hmac": digest}, after={"phone_hmac": digest})
    session.commit()
    entry = old
    listing = client.get("/admin/auditlog/").get_data(as_text=True)
    details = client.get(f"/admin/auditlog/details/?id={entry.id}").get_data(as_text=True)
    export = client.get("/admin/auditlog/export/csv/").get_data(as_text=True)
    for page in (listing, details, export):
        assert digest not in page and digest[:12] not in page
    rows = list(csv.DictReader(io.StringIO(export)))
    assert rows
    for role in ("operations", "marketing", "support"):
        client.post("/logout")
        login(role)
        assert client.get("/admin/auditlog/").status_code == 403


def test_opt_out_events_still_flow_while_the_guard_is_on(app, session, evidence):
    app_ledger(app, session).opt_out(evidence, None, source="keyword", actor="inbound SMS",
                                     occurred_at=datetime(2026, 5, 1, tzinfo=UTC))
    session.commit()
    assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 2
