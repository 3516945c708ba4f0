"""Error pages in plain words and the product's look: no traceback, no SQL, and JSON where a
machine is asking."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


def test_an_unknown_page_says_not_found_in_the_products_look(client):
    response = client.get("/admin/no-such-screen/")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Not found" in page and "Back to the panel" in page
    assert "page-card" in page  # the product's layout, not Werkzeug's bare page
    assert "Werkzeug" not in page


def test_a_role_without_access_is_told_so_in_words(client, login):
    login("support")
    response = client.get("/admin/user/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Not for your role" in page and "An admin can change your role" in page


def test_an_unexpected_failure_shows_no_traceback_and_is_logged(make_app, caplog):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM contact -- should never be shown")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and "Nothing was changed" in page
    assert "SELECT" not in page and "Traceback" not in page and "RuntimeError" not in page
    assert any("unexpected error on /boom" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path", ["/hooks/twilio/no-such", "/admin/api/no-such"])
def test_machine_routes_get_json_errors(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json and response.get_json() == {"error": "Not found", "status": 404}


def test_a_client_asking_for_json_gets_json(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_a_locked_out_login_says_when_to_try_again(client):
    for n in range(5):
        client.post("/login", data={"email": "ana@example.com", "password": f"guess {n}"})
    response = client.post("/login", data={"email": "ana@example.com", "password": "guess"})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many attempts" in page
    assert re.search(r"try again at \d\d:\d\d UTC", page), page


def test_the_sign_in_page_uses_the_products_look(client):
    page = client.get("/login").get_data(as_text=True)
    assert "page-card" in page and "favicon.svg" in page
    assert 'name="email"' in page and 'name="password"' in page
    assert PASSWORD not in page


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and b"<svg" in icon.data
