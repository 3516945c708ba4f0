"""Admin list views on big tables: first page, a filtered page, a search by phone, page 500.

    .venv/bin/python bench/admin_lists.py [--contacts 1000000] [--messages 5000000]
                                          [--databases postgres] [--runs 5]

Fills a fresh database in SQL (contacts with two current consents and their two events
each, texts spread over the contacts), signs an admin in and times each list through
Flask's test client: the median of ``--runs`` requests after one warm-up, the whole
request (query, count, template). Each figure sits beside its floor: the same page's bare
``SELECT ... LIMIT 50`` through SQLAlchemy, timed the same way. ``--flask-admin-count``
times Flask-Admin's own listing (a full count of every match, ``ILIKE`` over every
searchable column) on the same data afterwards, for the before/after comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402

PASSWORD = "bench-password-123"
STATES = ("CA", "NY", "TX", "FL", "WA", "IL", "AZ", "MA", "GA", "CO")


def series(dialect: str, count: int) -> str:
    """A row source of n = 1..count."""
    if dialect == "postgresql":
        return f"generate_series(1, {count}) AS s(n)"
    return (f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < "
            f"{count}) SELECT n FROM s) AS s")


def fill(engine: sa.Engine, contacts: int, messages: int) -> None:
    dialect = engine.dialect.name
    now = "CURRENT_TIMESTAMP"
    states = "CASE n % 10 " + " ".join(f"WHEN {i} THEN '{s}'" for i, s in
                                       enumerate(STATES)) + " END"
    with engine.begin() as c:
        ids = dict(c.execute(sa.text("SELECT slug, id FROM message_type")).all())
        c.execute(sa.text(
            f"INSERT INTO contact (phone, first_name, last_name, email, state, tags, attributes,"
            f" created_at) SELECT '+1415' || (2000000 + n), "
            f"'Ana' || (n % 97), 'Garcia' || (n % 89), 'ana' || n || '@example.com', {states}, "
            f"'[]', '{{}}', {now} FROM {series(dialect, contacts)}"))
        for offset, slug in enumerate(("transactional", "marketing")):
            c.execute(sa.text(
                f"INSERT INTO consent_event (seq, contact_id, message_type_id, action, source, "
                f"occurred_at, recorded_at, actor, personal_hash, prev_hash, hash) SELECT "
                f"2 * n - {1 - offset}, n, {ids[slug]}, 'opt_in', 'web_form', {now}, {now}, "
                f"'bench', 'x', 'x', 'x' FROM {series(dialect, contacts)}"))
        c.execute(sa.text(
            "INSERT INTO consent (contact_id, message_type_id, state, since, last_event_id) "
            "SELECT contact_id, message_type_id, CASE WHEN contact_id % 10 = 0 THEN "
            "'opted_out' ELSE 'opted_in' END, occurred_at, id FROM consent_event"))
        c.execute(sa.text(
            f"INSERT INTO message (direction, contact_id, phone, body, status, block_reasons, "
            f"segments, encoding, created_at, updated_at) SELECT 'out', 1 + n % {contacts}, "
            f"'+1415' || (2000000 + 1 + n % {contacts}), "
            f"'Bloom & Branch: your order #' || n || ' is out for delivery today. Reply STOP "
            f"to opt out.', CASE n % 20 WHEN 0 THEN 'undelivered' WHEN 1 THEN 'blocked' ELSE "
            f"'delivered' END, '[]', 1, 'GSM-7', {now}, {now} FROM {series(dialect, messages)}"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))


def timed(call, runs: int) -> float:
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def filter_arg(app, endpoint: str, column: str, operation: str = "equals") -> str:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    for arg, (_index, flt) in view._filter_args.items():
        if getattr(flt, "column", None) is not None and flt.column.key == column and \
                str(flt.operation()) == operation:
            return f"flt0_{arg}"
    raise LookupError(f"no {operation} filter on {endpoint}.{column}")


def run(kind: str, contacts: int, messages: int, runs: int, flask_admin_count: bool) -> None:
    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app = app_for(engine, instance, WTF_CSRF_ENABLED=False)  # adds the message types
        started = time.perf_counter()
        fill(engine, contacts, messages)
        print(f"\n{kind}: {contacts:,} contacts, {2 * contacts:,} consents and events, "
              f"{messages:,} messages loaded in {time.perf_counter() - started:.0f} s")
        from core.security import create_user

        with app.app_context():
            create_user(app, "admin@bench.example", PASSWORD, ["admin"])
        client = app.test_client()
        assert client.post("/login", data={"email": "admin@bench.example",
                                           "password": PASSWORD}).status_code == 302
        phone = f"+1415{2000000 + contacts // 2}"
        from admin.listing import phone_in

        assert phone_in(phone) == phone, phone
        pages = {
            "contact": [("first page", "/admin/contact/",
                         "SELECT * FROM contact ORDER BY id DESC LIMIT 50"),
                        ("state = CA", f"/admin/contact/?{filter_arg(app, 'contact', 'state')}=CA",
                         "SELECT * FROM contact WHERE state = 'CA' ORDER BY id DESC LIMIT 50"),
                        ("search phone", f"/admin/contact/?search={phone.replace('+', '%2B')}",
                         f"SELECT * FROM contact WHERE phone = '{phone}'"),
                        ("page 500", "/admin/contact/?page=499",
                         "SELECT * FROM contact ORDER BY id DESC LIMIT 50 OFFSET 24950")],
            "message": [("first page", "/admin/message/",
                         "SELECT * FROM message ORDER BY id DESC LIMIT 50"),
                        ("status = blocked", f"/admin/message/?"
                         f"{filter_arg(app, 'message', 'status')}=blocked",
                         "SELECT * FROM message WHERE status = 'blocked' ORDER BY id DESC "
                         "LIMIT 50"),
                        ("search phone", f"/admin/message/?search={phone.replace('+', '%2B')}",
                         f"SELECT * FROM message WHERE contact_id = (SELECT id FROM contact "
                         f"WHERE phone = '{phone}') ORDER BY id DESC LIMIT 50"),
                        ("page 500", "/admin/message/?page=499",
                         "SELECT * FROM message ORDER BY id DESC LIMIT 50 OFFSET 24950")],
            "consent": [("first page", "/admin/consent/",
                         "SELECT * FROM consent ORDER BY since DESC LIMIT 50"),
                        ("opted out", f"/admin/consent/?{filter_arg(app, 'consent', 'state')}"
                         "=opted_out", "SELECT * FROM consent WHERE state = 'opted_out' ORDER "
                         "BY since DESC LIMIT 50"),
                        ("search phone", f"/admin/consent/?search={phone.replace('+', '%2B')}",
                         f"SELECT consent.* FROM consent JOIN contact ON contact.id = "
                         f"consent.contact_id WHERE contact.phone = '{phone}'"),
                        ("page 500", "/admin/consent/?page=499",
                         "SELECT * FROM consent ORDER BY since DESC LIMIT 50 OFFSET 24950")],
            "consentevent": [("first page", "/admin/consentevent/",
                              "SELECT * FROM consent_event ORDER BY seq DESC LIMIT 50"),
                             ("search phone", f"/admin/consentevent/?search="
                              f"{phone.replace('+', '%2B')}", "SELECT consent_event.* FROM "
                              "consent_event JOIN contact ON contact.id = consent_event."
                              f"contact_id WHERE contact.phone = '{phone}'")],
        }
        table(client, engine, pages, runs)
        if flask_admin_count:
            from flask_admin.contrib.sqla import ModelView

            from admin.base import SecureModelView

            SecureModelView.get_list = ModelView.get_list
            SecureModelView._apply_search = ModelView._apply_search
            print("\nthe same data through Flask-Admin's own listing (before):")
            table(client, engine, pages, runs)


def table(client, engine: sa.Engine, pages: dict, runs: int) -> None:
    print(f"{'list':<14}{'page':<18}{'ms':>9}{'floor ms':>10}{'ratio':>8}  rows shown")
    for name, cases in pages.items():
        for label, url, sql in cases:
            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response
            ms = timed(get, runs)
            with engine.connect() as c:
                floor = timed(lambda sql=sql: c.execute(sa.text(sql)).all(), runs)
            body = get().get_data(as_text=True)
            shown = body.split("List (", 1)[1].split(")", 1)[0] if "List (" in body else "-"
            print(f"{name:<14}{label:<18}{ms:>9.1f}{floor:>10.2f}{ms / floor:>8.0f}x  "
                  f"{shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=5_000_000)
    parser.add_argument("--databases", default="postgres")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--flask-admin-count", action="store_true",
                        help="then time Flask-Admin's own listing on the same data (before)")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        run(kind, args.contacts, args.messages, args.runs, args.flask_admin_count)


if __name__ == "__main__":
    main()
