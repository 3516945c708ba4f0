"""The webhook intake under attack: signatures with timestamps on both sandbox routes,
bodies past the limit however they are framed, bounded records of refused requests, and
their retention."""

import hashlib
import http.client
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from core.models import ConsentEvent, Contact, WebhookEvent
from core.sending import webhooks

SENDER, PHONE = "+14155550142", "+12125550123"


@pytest.fixture
def app(make_app):
    return make_app(QUEUE_URL="immediate")


@pytest.fixture
def sender(app, session):
    from core.models import Brand, Campaign, Sender

    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch")
    campaign = Campaign(brand=brand, name="Orders", use_case="MIXED")
    session.add_all([brand, campaign, Sender(address=SENDER, campaign=campaign)])
    session.commit()


def sandbox(app):
    return app.extensions["consentdesk"].providers["sandbox"]


def stop_body(message_id="SB-1", text="STOP"):
    return json.dumps({"from": PHONE, "to": SENDER, "body": text, "id": message_id,
                       "sent_at": datetime.now(UTC).isoformat()}).encode()


def status_body(status="delivered"):
    return json.dumps({"id": "SBx", "status": status}).encode()


def send(client, kind, body, headers):
    return client.post(f"/hooks/providers/sandbox/{kind}", data=body, headers=headers)


def rows(session):
    session.expire_all()
    return session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()


def opt_outs(session):
    return session.scalars(sa.select(ConsentEvent).where(ConsentEvent.action == "opt_out")).all()


@pytest.mark.parametrize("kind", ["inbound", "status"])
def test_a_genuine_request_is_processed(app, client, session, sender, kind):
    body = stop_body() if kind == "inbound" else status_body()
    assert send(client, kind, body, sandbox(app).signed_headers(body)).status_code == 200
    assert rows(session)[0].status == "processed"


@pytest.mark.parametrize("kind", ["inbound", "status"])
@pytest.mark.parametrize("how", ["forged", "wrong key", "stale", "future", "no timestamp",
                                 "tampered", "unsigned"])
def test_a_request_that_does_not_verify_is_refused_and_processes_nothing(
        app, client, session, sender, make_app, kind, how):
    body = stop_body() if kind == "inbound" else status_body()
    headers = sandbox(app).signed_headers(body)
    if how == "forged":
        headers["X-Sandbox-Signature"] = "0" * 64
    elif how == "wrong key":
        other = make_app(SECRET_KEY="another-install")
        headers = sandbox(other).signed_headers(body)
    elif how in ("stale", "future"):
        headers = sandbox(app).signed_headers(
            body, int(time.time()) + (-400 if how == "stale" else 400))
    elif how == "no timestamp":
        del headers["X-Sandbox-Timestamp"]
    elif how == "tampered":
        body = body.replace(b"}", b", \"x\": 1}")
    else:
        headers = {"Content-Type": "application/json"}
    assert send(client, kind, body, headers).status_code == 403
    assert opt_outs(session) == []
    [row] = rows(session)
    assert row.status == "rejected"


def test_a_replayed_request_is_processed_once(app, client, session, sender):
    body = stop_body()
    headers = sandbox(app).signed_headers(body)
    assert send(client, "inbound", body, headers).status_code == 200
    assert send(client, "inbound", body, headers).status_code == 200
    assert len(opt_outs(session)) == 1 and len(rows(session)) == 1


@pytest.mark.parametrize(("kind", "body", "reason"), [
    ("inbound", b"", "not JSON"),
    ("inbound", b"{}", "missing from, to, body, id"),
    ("inbound", b'{"from": "+12125550123", "to": "+14155550142", "body": "STOP"}', "missing id"),
    ("inbound", b"[]", "not a JSON object"),
    ("status", b'{"id": "SBx", "status": "exploded"}', "unknown status 'exploded'"),
    ("status", b"\xff\xfe", "not JSON"),
])
def test_a_signed_but_malformed_request_is_400_kept_and_never_a_500(
        app, client, session, sender, kind, body, reason):
    response = send(client, kind, body, sandbox(app).signed_headers(body))
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    [row] = rows(session)
    assert row.status == "malformed" and reason in row.error


def test_a_refused_request_keeps_only_an_excerpt(app, client, session, sender):
    body = json.dumps({"padding": "x" * 100_000}).encode()
    headers = {"X-Sandbox-Timestamp": str(int(time.time())), "X-Sandbox-Signature": "bad",
               "Content-Type": "application/json", "X-Junk": "y" * 50_000}
    assert send(client, "inbound", body, headers).status_code == 403
    [row] = rows(session)
    assert len(row.body) <= webhooks.EXCERPT
    assert row.body_size == len(body)
    assert row.body_sha256 == hashlib.sha256(body).hexdigest()
    assert max(len(v) for v in row.headers.values()) <= webhooks.MAX_HEADER_VALUE


def test_a_body_past_the_limit_is_413_with_content_length(app, client, session, sender):
    body = b"{" + b" " * (webhooks.MAX_BODY + 1) + b"}"
    response = send(client, "inbound", body, sandbox(app).signed_headers(body))
    assert response.status_code == 413
    assert rows(session) == []


@pytest.fixture
def server(app):
    """The app behind a real HTTP server, so chunked bodies arrive as an attacker sends them."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()


def test_a_chunked_body_without_content_length_is_cut_off_at_the_limit(
        app, session, sender, server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.putrequest("POST", "/hooks/providers/sandbox/inbound")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("X-Sandbox-Signature", "whatever")
    connection.putheader("X-Sandbox-Timestamp", str(int(time.time())))
    connection.endheaders()
    chunk = b"x" * 65536
    sent = 0
    try:
        while sent < 20 * 1024 * 1024:  # 20 MB, as the attacker sent
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading past the limit
    response = connection.getresponse()
    assert response.status == 413
    connection.close()
    assert rows(session) == []


def test_records_past_their_retention_are_deleted(app, client, session, sender):
    body = stop_body()
    send(client, "inbound", body, sandbox(app).signed_headers(body))
    send(client, "inbound", b"{}", {"X-Sandbox-Signature": "bad"})
    now = datetime.now(UTC)
    session.rollback()  # end this test's read: SQLite lets one writer in at a time
    with app.app_context():
        assert webhooks.purge(app, now + timedelta(days=1)) == 0
        assert webhooks.purge(app, now + timedelta(days=8)) == 1  # the refused one
        assert [r.status for r in rows(session)] == ["processed"]
        session.rollback()
        assert webhooks.purge(app, now + timedelta(days=91)) == 1
    assert rows(session) == []
    assert len(opt_outs(session)) == 1  # the evidence lives in the ledger, not in the log


def test_the_sandbox_landline_number_is_marked_undeliverable(app, session, sender):
    from core import testing

    with app.app_context():
        contact_id = testing.opted_in("+15005550006").id
        message = testing.queue_text("+15005550006")
    assert (message.status, message.error_code) == ("failed", "landline")
    session.expire_all()
    assert session.get(Contact, contact_id).undeliverable_code == "sandbox landline"


def test_the_undeliverable_report_counts_numbers_by_code(app, session, sender, runner):
    from core import testing

    with app.app_context():
        testing.opted_in("+15005550006")
        testing.queue_text("+15005550006")
    result = runner.invoke(["report", "undeliverable-numbers"])
    assert result.exit_code == 0, result.output
    assert "sandbox landline,1," in result.output
