"""Every create, update and delete made in the admin leaves an AuditLog row."""

import sqlalchemy as sa

from core.models import AuditLog, Brand, Contact


def audit_rows(session):
    session.expire_all()
    return session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()


def test_create_is_audited_with_the_new_values(client, login, session):
    email = login("support")
    response = client.post(
        "/admin/contact/new/",
        data={"phone": "(415) 555-2671", "first_name": "Ana", "tags": "", "attributes": ""},
    )
    assert response.status_code == 302
    [entry] = audit_rows(session)
    assert (entry.actor, entry.action, entry.model) == (email, "create", "Contact")
    assert entry.after["phone"] == "+14155552671"
    assert entry.after["first_name"] == "Ana"
    assert entry.object_id == str(session.scalar(sa.select(Contact.id)))


def test_update_is_audited_with_before_and_after(client, login, session):
    session.add(Contact(phone="+14155552671", first_name="Ana", email="ana@example.com"))
    session.commit()
    login("support")
    response = client.post(
        "/admin/contact/edit/?id=1",
        data={"phone": "+14155552671", "first_name": "Anna", "email": "ana@example.com",
              "tags": "", "attributes": ""},
    )
    assert response.status_code == 302
    [entry] = audit_rows(session)
    assert entry.action == "update"
    assert entry.before == {"first_name": "Ana"}
    assert entry.after == {"first_name": "Anna"}


def test_delete_is_audited_with_the_old_values(client, login, session):
    session.add(Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch"))
    session.commit()
    login("operations")
    response = client.post("/admin/brand/delete/", data={"id": "1"})
    assert response.status_code == 302
    assert session.scalar(sa.select(sa.func.count(Brand.id))) == 0
    [entry] = audit_rows(session)
    assert entry.action == "delete"
    assert entry.before["public_name"] == "Bloom & Branch"


def test_password_changes_are_audited_without_the_password(client, login, session):
    login("admin")
    response = client.post(
        "/admin/user/new/",
        data={"email": "new.hire@bloomandbranch.example", "active": "y",
              "new_password": "a long enough secret"},
    )
    assert response.status_code == 302
    entry = [e for e in audit_rows(session) if e.model == "User"][-1]
    assert entry.after["password"] == "(secret)"
    assert "a long enough secret" not in str(entry.after)


def test_a_rejected_form_writes_no_audit_row(client, login, session):
    login("support")
    response = client.post("/admin/contact/new/", data={"phone": "12", "tags": "",
                                                        "attributes": ""})
    assert response.status_code == 200
    assert audit_rows(session) == []
