"""The hello plugin, loaded the way a real install loads it: through its entry point."""

from datetime import UTC, date, datetime, timedelta

import consentdesk_hello
import pytest
from consentdesk_hello.reports import new_contacts_per_day

from core.app import create_app
from core.db import db
from core.models import Contact
from core.plugins import SessionData, plugin_infos
from core.upgrade import upgrade_and_sync


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "PLUGINS": "hello",
            "HELLO_GREETING": "Hi <there>",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade_and_sync(app)
    return app


def test_entry_point_loads_the_plugin_from_its_distribution(app):
    infos = {info.name: info for info in plugin_infos(app.extensions["consentdesk"].pm)}
    assert infos["hello"].distribution == "consentdesk-hello"
    assert infos["hello"].version == "0.1.0"
    assert set(infos["hello"].hooks) == {"register_admin_pages", "register_reports", "startup"}


def test_report_counts_contacts_per_day(app):
    today = date(2026, 11, 23)
    with app.app_context():
        for phone, days_ago in (("+14155552671", 0), ("+14155552672", 0), ("+12125550123", 3)):
            created = datetime(2026, 11, 23, 12, tzinfo=UTC) - timedelta(days=days_ago)
            db.session.add(Contact(phone=phone, created_at=created))
        db.session.commit()
        result = new_contacts_per_day(SessionData(db.session), today=today)
    by_day = dict(map(tuple, result.rows))
    assert len(result.rows) == 30
    assert by_day["2026-11-23"] == 2
    assert by_day["2026-11-20"] == 1
    assert by_day["2026-11-22"] == 0


def test_admin_page_is_behind_login_and_escapes_the_greeting(app):
    client = app.test_client()
    assert client.get("/admin/hello/").status_code == 302
    from core.security import create_user

    with app.app_context():
        create_user(app, "support@example.com", "correct horse battery", ["support"])
    client.post("/login", data={"email": "support@example.com", "password": "correct horse battery"})
    page = client.get("/admin/hello/")
    assert page.status_code == 200
    assert b"Hi &lt;there&gt;: this install has 0 contacts." in page.data


def test_plugin_module_is_what_the_entry_point_names(app):
    pm = app.extensions["consentdesk"].pm
    assert pm.get_plugin("hello") is consentdesk_hello


