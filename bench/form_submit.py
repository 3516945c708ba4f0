"""Hosted opt-in form benchmark: sign-ups per second, against a bare Flask form.

    .venv/bin/python bench/form_submit.py [--submissions 2000] [--databases sqlite,postgres]

In one process through Flask's test client (the app's own cost, no network), as a person does
it: GET /f/join (the page with its one-use signed nonce, the form's snapshot stored once per
version), then POST with a new mobile number, a name, a ZIP and one ticked box. Two forms:
single opt-in (the opt-in event with its evidence and snapshot hash, the contact, the lead
welcome flow started) and double opt-in (the submission held, the "reply Y" question queued).
The floor is a bare Flask app that renders a comparable page on GET and reads the same fields
on POST, with no database. Every submission is committed, as in production, and the counts are
checked afterwards.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, render_template_string, request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import app_for, database  # noqa: E402

NONCE = re.compile(rb'name="nonce" value="([^"]+)"')
AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"
PAGE = """<!doctype html><title>Sign up</title><form method="post">
<input type="hidden" name="nonce" value="{{ nonce }}"><input name="phone">
<input name="first_name"><input name="zip"><input type="checkbox" name="types" value="1">
<p>{{ disclosure }}</p><button>Sign up</button></form>"""


def floor(count: int) -> float:
    app = Flask("floor")

    @app.route("/f/<slug>", methods=("GET", "POST"))
    def form(slug: str) -> str:
        if request.method == "POST":
            values = {k: request.form.get(k) for k in ("nonce", "phone", "first_name", "zip")}
            assert values["phone"] and request.form.getlist("types")
            return "<p>Thank you</p>"
        return render_template_string(PAGE, nonce="x" * 80, disclosure="Msg & data rates")

    client = app.test_client()
    numbers = phones(count, 1)
    started = time.perf_counter()
    for phone in numbers:
        page = client.get("/f/join")
        nonce = NONCE.search(page.data).group(1).decode()
        client.post("/f/join", data={"nonce": nonce, "phone": phone, "first_name": "Ana",
                                     "zip": "94103", "types": "1"})
    return count / (time.perf_counter() - started)


def phones(count: int, seed: int) -> list[str]:
    """``count`` distinct valid US numbers, written as people type them."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        found.add(f"({rng.choice((212, 415, 312, 617, 206))}) {rng.randint(201, 989)}-"
                  f"{rng.randint(0, 9999):04d}")
    return sorted(found)


def run(kind: str, count: int, base: float) -> None:
    from core import demo
    from core.db import db
    from core.models import OptInForm

    with database(kind) as engine, tempfile.TemporaryDirectory() as instance:
        app = app_for(engine, instance, FORM_RATE_LIMIT="1000000 per minute",
                      RATELIMIT_ENABLED=True)
        with app.app_context():
            demo.load(app, contacts=5)
            form = db.session.scalars(sa.select(OptInForm).where(OptInForm.slug == "join")).one()
            types = [str(t.id) for t in form.message_types]
        for double in (False, True):
            with app.app_context():
                db.session.get(OptInForm, form.id).double_opt_in = double
                db.session.commit()
            client = app.test_client()
            numbers = phones(count, 2 + double)
            started = time.perf_counter()
            for phone in numbers:
                page = client.get("/f/join", headers={"User-Agent": AGENT})
                nonce = NONCE.search(page.data).group(1).decode()
                answer = client.post("/f/join", headers={"User-Agent": AGENT}, data={
                    "nonce": nonce, "phone": phone, "first_name": "Ana", "zip": "94103",
                    "types": types})
                assert answer.status_code == 200 and b"Thank you" in answer.data or \
                    b"Check your phone" in answer.data, answer.data[:500]
            rate = count / (time.perf_counter() - started)
            with engine.connect() as connection:
                events = connection.scalar(sa.text(
                    "SELECT count(*) FROM consent_event WHERE source = 'web_form' "
                    "AND snapshot_hash IS NOT NULL"))
                held = connection.scalar(sa.text(
                    "SELECT count(*) FROM form_submission WHERE status = 'pending'"))
            label = "double opt-in" if double else "single opt-in"
            check = f"{held:,} held for their Y" if double else f"{events:,} opt-ins recorded"
            print(f"{kind:9} {label:14} {rate:7,.0f} sign-ups/s ({check}) | floor "
                  f"{base:7,.0f}/s | {base / rate:5.1f}x the floor's time per sign-up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    base = floor(args.submissions)
    print(f"form benchmark: {args.submissions:,} sign-ups (a GET and a POST each)")
    for kind in args.databases.split(","):
        run(kind.strip(), args.submissions, base)


if __name__ == "__main__":
    main()
