"""Shopify's webhooks as Shopify signs and sends them: every topic with payloads shaped like
the examples in Shopify's webhook reference, each genuine, forged, with the wrong secret,
from another shop, redelivered (same X-Shopify-Event-Id) and malformed."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import testing
from core.db import db
from core.flows import seeds
from core.integrations import connections
from core.models import (
    Campaign,
    Click,
    Consent,
    ConsentEvent,
    Contact,
    Conversion,
    Disclosure,
    FlowEvent,
    FlowRun,
    IntegrationConnection,
    Link,
    Message,
)

SECRET = "shpss_0123456789abcdef"
SHOP = "bloom-and-branch.myshopify.com"
PHONE = "+14155550163"

# Shaped like Shopify's reference example for orders/create (trimmed; the fields Consentdesk
# reads are as Shopify names and types them: ids as numbers, money as strings).
ORDER = {
    "id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
    "checkout_id": 901414060, "created_at": "2026-11-30T09:14:31-05:00", "currency": "USD",
    "email": "jon@example.com", "name": "#9999", "phone": None, "total_price": "398.00",
    "order_status_url": "https://bloom-and-branch.myshopify.com/548380009/orders/123/authenticate",
    "customer": {"id": 115310627314723954, "email": "john@example.com", "first_name": "John",
                 "last_name": "Smith", "phone": "(415) 555-0163", "state": "disabled"},
    "billing_address": {"first_name": "Steve", "address1": "123 Shipping Street",
                        "phone": "555-555-SHIP", "city": "Shippington", "zip": "40003",
                        "country_code": "US"},
    "shipping_address": {"first_name": "Steve", "phone": "555-555-SHIP", "zip": "40003",
                         "country_code": "US"},
    "line_items": [{"id": 866550311766439020, "title": "Spring bouquet", "quantity": 1,
                    "price": "199.00"},
                   {"id": 141249953214522974, "title": "Vase", "quantity": 1,
                    "price": "199.00"}],
}
CHECKOUT = {
    "id": 901414060, "token": "a0bf8b1ea1d2b4bbb0f4c1f1f8f2a3b4", "completed_at": None,
    "created_at": "2026-11-30T08:00:00-05:00", "phone": None, "email": "bob@example.com",
    "abandoned_checkout_url": "https://checkout.local/548380009/checkouts/a0bf8b1e/recover",
    "customer": {"id": 207119551, "first_name": "Bob", "phone": "+14155550163"},
    "shipping_address": {"phone": "+14155550163", "zip": "94103", "country_code": "US"},
}
CUSTOMER = {
    "id": 706405506930370084, "email": "bob@biller.com", "first_name": "Bob",
    "last_name": "Biller", "phone": "+14155550163", "updated_at": "2026-11-30T09:00:00-05:00",
    "sms_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in",
                              "consent_updated_at": "2026-11-30T08:59:00-05:00",
                              "consent_collected_from": "SHOPIFY"},
}
DATA_REQUEST = {"shop_id": 954889, "shop_domain": SHOP, "orders_requested": [299938, 280263],
                "customer": {"id": 191167, "email": "john@example.com", "phone": PHONE},
                "data_request": {"id": 9999}}
REDACT = {"shop_id": 954889, "shop_domain": SHOP,
          "customer": {"id": 191167, "email": "john@example.com", "phone": PHONE},
          "orders_to_redact": [299938, 280263, 220458]}
SHOP_REDACT = {"shop_id": 954889, "shop_domain": SHOP}


@pytest.fixture
def app(tmp_path):
    app = testing.make_app(tmp_path, "shopify", PUBLIC_URL="https://sms.bloom.example")
    with app.app_context():
        sender = testing.add_sender("+14155550142", "sandbox")
        campaign = db.session.get(Campaign, sender.campaign_id)
        campaign.brand.website = "https://bloomandbranch.example"
        for seed in seeds.SEED_FLOWS:
            seeds.create(db.session, seed["name"], campaign, enabled=True)
        db.session.add(Disclosure(name="Shopify checkout", text=(
            "Get texts from Bloom & Branch: recurring automated marketing messages. Consent is "
            "not a condition of purchase. Msg & data rates may apply. Reply STOP to cancel.")))
        integration = app.extensions["consentdesk"].integrations["shopify"]
        connections.save(db.session, app, integration, {
            "shop_domain": SHOP, "client_secret": SECRET, "disclosure": "Shopify checkout",
            "attribution_days": 7, "fulfilled_is_delivered": True}, "admin")
        db.session.commit()
        yield app


def send(app, topic, payload, event_id=None, secret=SECRET, shop=SHOP, hmac_header=None,
         raw=None):
    db.session.rollback()  # SQLite: the test's own reads hold the write lock until they end
    body = raw if raw is not None else json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
               "X-Shopify-Hmac-Sha256": hmac_header if hmac_header is not None else digest,
               "X-Shopify-Event-Id": event_id or f"evt-{topic}-{hashlib.md5(body).hexdigest()}",
               "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
               "X-Shopify-API-Version": "2025-10", "Content-Type": "application/json"}
    return app.test_client().post("/hooks/integrations/shopify/events", data=body,
                                  headers=headers)


last_delivery = testing.last_delivery


def count(model, *where):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def subscribed(app):
    assert send(app, "customers/create", CUSTOMER).status_code == 200
    assert last_delivery().status == "processed", last_delivery().outcome


# ------------------------------------------------------------------- signatures and delivery


def test_the_signature_is_shopifys_base64_hmac_of_the_raw_body():
    from consentdesk_shopify import Shopify

    from hooks.integrations import IntegrationRequest

    body = b'{"id":1,"name":"#1001"}'
    header = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    request = IntegrationRequest("events", "https://x/hooks", "POST",
                                 {"X-Shopify-Hmac-Sha256": header,
                                  "X-Shopify-Shop-Domain": SHOP}, body)
    settings = {"client_secret": "secret", "shop_domain": SHOP}
    assert Shopify().verify(request, settings)
    assert not Shopify().verify(request, {**settings, "client_secret": "other"})
    assert not Shopify().verify(request, {**settings, "shop_domain": "evil.myshopify.com"})
    hexed = IntegrationRequest("events", "x", "POST", {
        "X-Shopify-Hmac-Sha256": hmac.new(b"secret", body, hashlib.sha256).hexdigest(),
        "X-Shopify-Shop-Domain": SHOP}, body)
    assert not Shopify().verify(hexed, settings)  # hex is not what Shopify sends


@pytest.mark.parametrize(("change", "why"), [
    ({"secret": "shpss_guessed"}, "signature"),
    ({"hmac_header": ""}, "signature"),
    ({"hmac_header": "bm90IGEgc2lnbmF0dXJl"}, "signature"),
    ({"shop": "evil-shop.myshopify.com"}, "signature"),
])
def test_forged_or_foreign_deliveries_are_refused_and_change_nothing(app, change, why):
    answer = send(app, "orders/create", ORDER, **change)
    assert answer.status_code == 401
    delivery = last_delivery()
    assert delivery.status == "rejected" and why in delivery.outcome
    assert delivery.event_id is None
    assert count(Conversion) == 0 and count(Contact) == 0


def test_a_tampered_body_is_refused(app):
    body = json.dumps(ORDER).encode()
    good = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    answer = send(app, "orders/create", None, raw=body.replace(b"398.00", b"1.00"),
                  hmac_header=good)
    assert answer.status_code == 401 and count(Conversion) == 0


def test_a_redelivery_with_the_same_event_id_counts_once(app):
    for _ in range(3):
        assert send(app, "orders/create", ORDER, event_id="evt-1").status_code == 200
    assert count(Conversion) == 1
    assert last_delivery().redeliveries == 2


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'{"id": "x", "created_at": 5,'])
def test_malformed_bodies_are_acknowledged_and_marked_failed(app, raw):
    answer = send(app, "orders/create", None, raw=raw)
    assert answer.status_code == 200  # retrying cannot help: no endless Shopify retries
    delivery = last_delivery()
    assert delivery.status == "failed" and delivery.outcome
    assert count(Conversion) == 0


def test_an_unknown_topic_is_acknowledged_and_logged(app):
    assert send(app, "products/update", {"id": 1, "title": "Roses"}).status_code == 200
    delivery = last_delivery()
    assert delivery.status == "ignored" and "products/update" in delivery.outcome


# ------------------------------------------------------------------------------ the topics


def test_an_order_whose_only_number_is_not_a_phone_fails_with_the_reason(app):
    """Shopify's own sample order carries only "555-555-SHIP": no one to text."""
    order = copy.deepcopy(ORDER)
    order["customer"]["phone"] = None
    assert send(app, "orders/create", order).status_code == 200
    delivery = last_delivery()
    assert delivery.status == "failed" and "phone" in delivery.outcome.lower()
    assert count(Contact) == 0


def test_an_order_is_a_conversion_with_revenue_credited_to_the_last_clicked_flow(app):
    subscribed(app)
    contact = db.session.scalars(sa.select(Contact)).one()
    flow_id = db.session.scalar(sa.text("SELECT id FROM flow WHERE name = 'Promotional campaign'"))
    link = Link(code="Spring01", destination="https://bloomandbranch.example", flow_id=flow_id,
                contact_id=contact.id)
    db.session.add(link)
    db.session.flush()
    db.session.add(Click(link_id=link.id, contact_id=contact.id,
                         clicked_at=datetime(2026, 11, 29, 12, tzinfo=UTC)))
    db.session.commit()
    assert send(app, "orders/create", ORDER).status_code == 200
    assert last_delivery().status == "processed", last_delivery().outcome
    conversion = db.session.scalars(sa.select(Conversion)).one()
    assert conversion.value == 398 and conversion.flow_id == flow_id
    assert conversion.external_id == "order:820982911946154508"
    attributes = db.session.scalars(sa.select(Contact)).one().attributes
    assert attributes["orders_count"] == 1 and attributes["total_spent"] == 398.0
    assert attributes["products"] == ["Spring bouquet", "Vase"]
    assert attributes["shopify_customer_id"] == "115310627314723954"


def test_a_click_outside_the_attribution_window_earns_nothing(app):
    subscribed(app)
    contact = db.session.scalars(sa.select(Contact)).one()
    link = Link(code="Old01", destination="https://x.example", flow_id=1, contact_id=contact.id)
    db.session.add(link)
    db.session.flush()
    db.session.add(Click(link_id=link.id, contact_id=contact.id,
                         clicked_at=datetime(2026, 11, 1, tzinfo=UTC)))
    db.session.commit()
    send(app, "orders/create", ORDER)
    assert db.session.scalars(sa.select(Conversion)).one().flow_id is None


def test_a_subscribed_customer_is_an_opt_in_with_shopifys_evidence(app):
    subscribed(app)
    event = db.session.scalars(sa.select(ConsentEvent)).one()
    assert event.source == "shopify" and event.action == "opt_in"
    assert event.message_type.slug == "marketing"
    assert "single_opt_in" in event.source_detail and "SHOPIFY" in event.source_detail
    assert event.occurred_at == datetime(2026, 11, 30, 13, 59, tzinfo=UTC)
    assert event.disclosure.name == "Shopify checkout"
    # Shopify resends the customer with every update: no second opt-in.
    again = {**CUSTOMER, "updated_at": "2026-12-01T10:00:00-05:00"}
    send(app, "customers/update", again)
    assert count(ConsentEvent) == 1


def test_an_unsubscribed_customer_is_an_opt_out_honoured_at_once(app):
    subscribed(app)
    gone = copy.deepcopy(CUSTOMER)
    gone["sms_marketing_consent"].update(state="unsubscribed",
                                         consent_updated_at="2026-12-01T08:00:00-05:00")
    send(app, "customers/update", gone)
    assert last_delivery().status == "processed", last_delivery().outcome
    states = dict(db.session.execute(sa.text(
        "SELECT mt.slug, c.state FROM consent c JOIN message_type mt ON mt.id = "
        "c.message_type_id")).all())
    assert states["marketing"] == "opted_out"


@pytest.mark.parametrize("state", ["not_subscribed", "pending", "redacted", None])
def test_other_consent_states_record_no_consent(app, state):
    other = copy.deepcopy(CUSTOMER)
    other["sms_marketing_consent"] = {"state": state} if state else None
    send(app, "customers/create", other)
    assert last_delivery().status == "processed"
    assert count(ConsentEvent) == 0 and count(Contact) == 1


def test_an_opt_in_without_the_disclosure_setting_fails_and_says_why(app):
    connection = db.session.scalars(sa.select(IntegrationConnection)).one()
    connection.settings = {**connection.settings, "disclosure": ""}
    db.session.commit()
    send(app, "customers/create", CUSTOMER)
    delivery = last_delivery()
    assert delivery.status == "failed" and "disclosure" in delivery.outcome
    assert count(ConsentEvent) == 0


def test_an_abandoned_checkout_reminds_a_subscriber_once_and_the_order_cancels_it(app):
    subscribed(app)
    send(app, "checkouts/create", CHECKOUT)
    send(app, "checkouts/update", {**CHECKOUT, "email": "bob2@example.com"})
    assert count(FlowEvent, FlowEvent.kind == "checkout.abandoned") == 1
    run = db.session.scalars(sa.select(FlowRun).join(FlowEvent).where(
        FlowEvent.kind == "checkout.abandoned")).one()
    assert run.status == "waiting"  # the reminder waits an hour
    send(app, "orders/create", ORDER)  # the same checkout becomes an order
    db.session.rollback()
    run = db.session.get(FlowRun, run.id)
    assert run.status == "stopped" and "#9999" in run.reason


def test_an_abandoned_checkout_without_marketing_consent_sends_nothing(app):
    send(app, "checkouts/create", CHECKOUT)
    from core import worker

    worker.sweep(app, datetime.now(UTC) + timedelta(hours=2))
    texts = db.session.scalars(sa.select(Message).where(Message.direction == "out")).all()
    assert all(m.status == "blocked" for m in texts)
    assert texts and "consent" in " ".join(texts[0].block_reasons)


def test_a_fulfilled_order_starts_the_post_purchase_follow_up(app):
    testing.opted_in(PHONE, ("transactional",))
    send(app, "orders/fulfilled", {**ORDER, "fulfillment_status": "fulfilled"})
    assert last_delivery().status == "processed", last_delivery().outcome
    kinds = set(db.session.scalars(sa.select(FlowEvent.kind)))
    assert kinds == {"order.fulfilled", "order.delivered"}
    run = db.session.scalars(sa.select(FlowRun).join(FlowEvent).where(
        FlowEvent.kind == "order.delivered")).one()
    assert run.flow.name == "Post-purchase follow-up" and run.status == "waiting"


def test_a_delivered_fulfillment_is_an_order_delivered_once(app):
    fulfillment = {"id": 123456, "order_id": 820982911946154508, "status": "success",
                   "shipment_status": "delivered", "updated_at": "2026-12-02T10:00:00-05:00",
                   "destination": {"phone": PHONE, "zip": "94103"}}
    send(app, "fulfillments/update", {**fulfillment, "shipment_status": "in_transit"})
    assert last_delivery().status == "ignored"
    send(app, "fulfillments/update", fulfillment)
    send(app, "fulfillments/update", {**fulfillment, "updated_at": "2026-12-02T11:00:00-05:00"})
    assert count(FlowEvent, FlowEvent.kind == "order.delivered") == 1


def test_privacy_data_request_returns_the_record(app):
    subscribed(app)
    send(app, "customers/data_request", DATA_REQUEST)
    delivery = last_delivery()
    assert delivery.status == "processed" and "data request" in delivery.outcome
    assert PHONE in delivery.outcome and "opt_in" in delivery.outcome


def test_privacy_redact_erases_and_keeps_the_opt_out(app):
    subscribed(app)
    gone = copy.deepcopy(CUSTOMER)
    gone["sms_marketing_consent"]["state"] = "unsubscribed"
    gone["sms_marketing_consent"]["consent_updated_at"] = "2026-12-01T08:00:00-05:00"
    send(app, "customers/update", gone)
    send(app, "customers/redact", REDACT)
    assert last_delivery().status == "processed", last_delivery().outcome
    contact = db.session.scalars(sa.select(Contact)).one()
    assert contact.first_name is None and contact.erased_at is not None
    assert count(ConsentEvent) == 2  # the history stays, anonymised
    assert set(db.session.scalars(sa.select(Consent.state).where(
        Consent.message_type_id == 1))) <= {"opted_out", "opted_in"}


def test_shop_redact_removes_the_connection(app):
    send(app, "shop/redact", SHOP_REDACT)
    assert last_delivery().status == "processed"
    connection = db.session.scalars(sa.select(IntegrationConnection)).one()
    assert not connection.enabled and connection.secrets is None
    assert send(app, "orders/create", ORDER).status_code == 401


# ------------------------------------------------------------------ opt-outs back to Shopify


@pytest.fixture
def admin_api():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((dict(self.headers),
                             json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            body = json.dumps({"data": {"customerSmsMarketingConsentUpdate": {
                "customer": {"id": "gid://shopify/Customer/706405506930370084"},
                "userErrors": []}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/admin/api/2025-10/graphql.json", received
    server.shutdown()


def push_on(app, url):
    from core.integrations import outgoing

    connection = db.session.scalars(sa.select(IntegrationConnection)).one()
    integration = app.extensions["consentdesk"].integrations["shopify"]
    connections.save(db.session, app, integration, {
        **connection.settings, "push_opt_outs": True, "admin_api_url": url,
        "admin_api_token": "shpat_test_token"}, "admin")
    db.session.commit()
    outgoing.forget_connections(app)


def test_a_consentdesk_opt_out_is_sent_back_to_shopify(app, admin_api):
    from core.consent import app_ledger
    from core.models import OutgoingWebhook

    url, received = admin_api
    push_on(app, url)
    subscribed(app)  # the opt-in came from Shopify: nothing goes back
    db.session.rollback()
    contact = db.session.scalars(sa.select(Contact)).one()
    app_ledger(app, db.session).opt_out(contact, None, source="keyword",
                                        occurred_at=datetime.now(UTC), actor="inbound SMS",
                                        source_detail="STOP")
    db.session.commit()
    deadline = time.time() + 5
    while not received and time.time() < deadline:
        time.sleep(0.05)
    [(headers, body)] = received
    assert headers["X-Shopify-Access-Token"] == "shpat_test_token"
    assert "customerSmsMarketingConsentUpdate" in body["query"]
    assert body["variables"]["input"]["customerId"] == "gid://shopify/Customer/706405506930370084"
    assert body["variables"]["input"]["smsMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"
    statuses = sorted(db.session.scalars(sa.select(OutgoingWebhook.status)))
    assert statuses == ["sent", "skipped"]  # the opt-in: not for Shopify


def test_an_opt_out_from_shopify_is_not_sent_back(app, admin_api):
    url, received = admin_api
    push_on(app, url)
    subscribed(app)
    gone = copy.deepcopy(CUSTOMER)
    gone["sms_marketing_consent"].update(state="unsubscribed",
                                         consent_updated_at="2026-12-01T08:00:00-05:00")
    send(app, "customers/update", gone)
    assert received == []
