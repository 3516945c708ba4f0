"""Fixtures in the Flask style: the app is built by the factory against a throw-away database.

SQLite (default): the schema is migrated once into a template file, copied for every test.
PostgreSQL: set CONSENTDESK_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test);
a database of its own is created for the session, migrated, emptied after every test, dropped.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from core.app import create_app
from core.db import db
from core.migrate import upgrade
from core.models import Base
from core.security import create_user
from core.upgrade import upgrade_and_sync

POSTGRES_URL = os.environ.get("CONSENTDESK_TEST_POSTGRES_URL")
PASSWORD = "correct horse battery staple"
ROLES = ("admin", "marketing", "support", "operations")


def pytest_report_header(config):
    return f"consentdesk database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def postgres_server_url():
    if not POSTGRES_URL:
        pytest.skip("set CONSENTDESK_TEST_POSTGRES_URL to run against PostgreSQL")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def scratch_databases(request):
    """Create empty PostgreSQL databases on demand; drop them all at the end."""
    created: list[str] = []
    admin_engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT") if POSTGRES_URL else None

    def make() -> str:
        name = f"consentdesk_test_{uuid.uuid4().hex[:12]}"
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if admin_engine is not None:
        with admin_engine.connect() as connection:
            for name in created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory, scratch_databases):
    """A migrated database every test starts from: a SQLite file, or a PostgreSQL database."""
    if POSTGRES_URL:
        url = scratch_databases()
        engine = sa.create_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "consentdesk.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(migrated_template, tmp_path):
    if POSTGRES_URL:
        yield migrated_template
        _empty_postgres(migrated_template)
        return
    path = tmp_path / "consentdesk.db"
    shutil.copy(migrated_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app with extra config; the database is migrated and synced."""
    built = []

    def make(**config):
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_URL": database_url,
                "LOAD_ENTRYPOINTS": False,
                "WTF_CSRF_ENABLED": False,
                "QUEUE_URL": "memory",
                **config,
            }
        )
        with app.app_context():
            upgrade_and_sync(app)
        built.append(app)
        return app

    yield make
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


class EndOfTestTransactionClient(FlaskClient):
    """Ends the test's own transaction before each request.

    SQLite runs every transaction as BEGIN IMMEDIATE (core.db): a test that has just read
    something through its ``session`` would otherwise hold the write lock while the
    request, on its own connection, waits for it.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = EndOfTestTransactionClient
    return app.test_client()


class ConsentdeskRunner:
    """Flask's CLI runner pointed at the ``consentdesk`` group and the test app."""

    def __init__(self, app):
        self._runner = app.test_cli_runner()

    def invoke(self, args):
        from core.cli import cli

        return self._runner.invoke(cli, args=args)


@pytest.fixture
def runner(app):
    return ConsentdeskRunner(app)


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def login(app, client):
    """Sign ``client`` in as a fresh user holding ``role``; returns the user's email."""

    def sign_in(role: str) -> str:
        email = f"{role}@bloomandbranch.example"
        if has_app_context():
            db.session.commit()
        with app.app_context():
            create_user(app, email, PASSWORD, [role])
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return email

    return sign_in

