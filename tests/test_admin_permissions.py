"""Every role against every admin view: what it may read, what it may change, 403 otherwise.

The expectations are written out here as the specification; the test does not derive them
from ``core.permissions`` (which would only prove the code agrees with itself).
"""

import pytest

from admin import MODEL_VIEWS

MODEL_ENDPOINTS = [view.__name__.removesuffix("View").lower() for view, _m, _c in MODEL_VIEWS]
PAGE_ENDPOINTS = ["reports", "plugins", "simulators", "consentimport", "phone", "flowtemplates",
                  "paperconsent", "integrations"]
READ_ONLY = {"consentevent", "consent", "suppression", "message", "click", "conversion",
             "webhookevent", "role", "auditlog", "revocationticket", "flowevent", "flowrun",
             "formsubmission"}

CAN_READ = {
    "admin": set(MODEL_ENDPOINTS) | set(PAGE_ENDPOINTS),
    "marketing": set(MODEL_ENDPOINTS) - {"user", "role", "auditlog", "webhookevent"}
    | {"reports", "simulators", "consentimport", "phone", "flowtemplates", "paperconsent"},
    "support": {"contact", "consentevent", "consent", "suppression", "preference", "message",
                "revocationticket", "reports", "simulators", "optinform", "formsubmission",
                "paperconsent"},
    "operations": set(MODEL_ENDPOINTS) - {"user", "role", "auditlog"}  # the log: admins only
    | {"reports", "plugins", "simulators", "phone", "integrations"},
}
CAN_WRITE = {
    "admin": set(MODEL_ENDPOINTS) - READ_ONLY,
    "marketing": {"flow", "segment", "campaign", "link", "disclosure", "keyword", "scheduledsend",
                  "optinform"},
    "support": {"contact", "preference"},
    "operations": {"sender", "brand", "messagetype"},
}


def test_every_model_view_is_covered():
    assert len(MODEL_ENDPOINTS) == 27
    assert set(CAN_WRITE["admin"]) | READ_ONLY == set(MODEL_ENDPOINTS)


def _expected(allowed):
    return 200 if allowed else 403


@pytest.mark.parametrize("role", sorted(CAN_READ))
def test_role_reads_exactly_its_views(client, login, role):
    login(role)
    wrong = []
    for endpoint in MODEL_ENDPOINTS + PAGE_ENDPOINTS:
        status = client.get(f"/admin/{endpoint}/").status_code
        if status != _expected(endpoint in CAN_READ[role]):
            wrong.append((endpoint, status))
    assert wrong == []


@pytest.mark.parametrize("role", sorted(CAN_READ))
def test_role_changes_exactly_its_models(client, login, role):
    login(role)
    wrong = []
    for endpoint in MODEL_ENDPOINTS:
        allowed = endpoint in CAN_WRITE[role]
        requests = {
            "create": client.get(f"/admin/{endpoint}/new/"),
            "edit": client.get(f"/admin/{endpoint}/edit/?id=999999"),
            "delete": client.post(f"/admin/{endpoint}/delete/", data={"id": "999999"}),
            "delete action": client.post(
                f"/admin/{endpoint}/action/", data={"action": "delete", "rowid": "999999"}
            ),
        }
        for operation, response in requests.items():
            ok = response.status_code in (200, 302) if allowed else response.status_code == 403
            if not ok:
                wrong.append((endpoint, operation, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("endpoint", ["consentevent", "auditlog", "consent"])
def test_evidence_is_read_only_even_for_admin(client, login, endpoint):
    login("admin")
    assert client.get(f"/admin/{endpoint}/").status_code == 200
    assert client.get(f"/admin/{endpoint}/new/").status_code == 403
    assert client.post(f"/admin/{endpoint}/new/", data={}).status_code == 403
    assert client.get(f"/admin/{endpoint}/edit/?id=999999").status_code == 403
    assert client.post(f"/admin/{endpoint}/delete/", data={"id": "1"}).status_code == 403
    page = client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert f"/admin/{endpoint}/new/" not in page


@pytest.mark.parametrize("endpoint", MODEL_ENDPOINTS + PAGE_ENDPOINTS + [""])
def test_anonymous_users_are_sent_to_the_login_page(client, endpoint):
    response = client.get(f"/admin/{endpoint}/" if endpoint else "/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("role", "allowed"), [("support", True), ("admin", True),
                                               ("marketing", False), ("operations", False)])
def test_recording_an_opt_out_needs_the_opt_out_permission(app, client, login, session, role,
                                                           allowed):
    from core.models import Contact

    session.add(Contact(phone="+14155552671"))
    session.commit()
    login(role)
    response = client.post(
        "/admin/contact/action/", data={"action": "record_opt_out", "rowid": "1"}
    )
    assert response.status_code == (302 if allowed else 403)
    session.expire_all()
    contact = session.get(Contact, 1)
    assert [c.state for c in contact.consents] == (["opted_out"] * 3 if allowed else [])


def test_menu_shows_only_what_the_role_may_read(client, login):
    login("support")
    home = client.get("/admin/").get_data(as_text=True)
    assert "/admin/contact/" in home
    assert "/admin/flow/" not in home
    assert "/admin/user/" not in home


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("support", False),
                                               ("marketing", False), ("operations", False)])
def test_only_admin_erases_personal_data(client, login, session, role, allowed):
    from core.models import AuditLog, Contact

    session.add(Contact(phone="+14155552671", first_name="Ana"))
    session.commit()
    login(role)
    response = client.post("/admin/contact/action/", data={"action": "erase", "rowid": "1"})
    assert response.status_code == (302 if allowed else 403)
    session.expire_all()
    contact = session.get(Contact, 1)
    assert (contact.phone is None) == allowed
    if allowed:
        entry = session.query(AuditLog).filter_by(action="erase").one()
        assert entry.actor == "admin@bloomandbranch.example"
