"""Shopify for Consentdesk: one webhook address for every topic the shop sends.

Verification is Shopify's: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw
body under the app's client secret, compared in constant time; ``X-Shopify-Event-Id`` names
the event, the same on every redelivery. Shopify signs no timestamp.

Topics and what they do:

- ``orders/create``: the customer's details and purchase segment fields, a conversion with
  the order's total credited to the flow whose link they clicked last (within the attribution
  window), the ``order.created`` event, and the abandoned-cart reminder of that checkout
  cancelled;
- ``orders/fulfilled``: ``order.fulfilled`` (and ``order.delivered`` when the shop delivers
  itself, a setting), the post-purchase follow-up;
- ``fulfillments/create|update`` with ``shipment_status`` delivered: ``order.delivered``;
- ``checkouts/create|update``: ``checkout.abandoned`` once per checkout (the reminder flow is
  marketing: the gate sends it only with marketing consent);
- ``customers/create|update``: ``sms_marketing_consent`` becomes consent events with Shopify
  as the source and its fields as evidence (``subscribed`` an opt-in under the disclosure
  the shop's checkout shows, ``unsubscribed`` an opt-out of marketing);
- ``customers/data_request``, ``customers/redact``, ``shop/redact``: the mandatory privacy
  webhooks: the person's record for the data request, erasure that keeps suppression, and
  the connection removed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from wtforms import BooleanField, Form, IntegerField, PasswordField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from hooks import hookimpl
from hooks.integrations import (
    CancelPending,
    Conversion,
    Disconnect,
    EraseContact,
    ExportContact,
    FlowEvent,
    Ignored,
    Integration,
    IntegrationRequest,
    MalformedDelivery,
    OutgoingEvent,
    OutgoingRequest,
    RecordConsent,
    SampleDelivery,
    UpsertContact,
    amount,
    hmac_sha256,
    moment,
    same,
)

PRIVACY = ("customers/data_request", "customers/redact", "shop/redact")
API_VERSION = "2025-10"
CONSENT_MUTATION = (
    "mutation customerSmsMarketingConsentUpdate($input: "
    "CustomerSmsMarketingConsentUpdateInput!) { customerSmsMarketingConsentUpdate(input: "
    "$input) { customer { id } userErrors { field message } } }")


class ShopifySettings(Form):
    shop_domain = StringField(
        "Shop domain", validators=[InputRequired(), Regexp(
            r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
            message="The shop's myshopify.com address, e.g. bloom-and-branch.myshopify.com")],
        description="Deliveries from any other shop are refused.")
    client_secret = PasswordField(
        "Webhook signing secret", validators=[InputRequired()],
        description="The app's client secret (Settings → Notifications → Webhooks shows it for "
                    "webhooks made in the admin).")
    disclosure = StringField(
        "Disclosure shown at checkout", validators=[Optional()],
        description="The name of the Consentdesk disclosure matching the SMS marketing text "
                    "your checkout shows; Shopify opt-ins are recorded under it (without it "
                    "they are refused and the delivery says so).")
    attribution_days = IntegerField(
        "Attribution window (days)", default=7, validators=[NumberRange(1, 90)],
        description="An order is credited to the flow whose link the customer clicked last "
                    "within this many days.")
    fulfilled_is_delivered = BooleanField(
        "A fulfilled order is delivered", description="For shops that deliver themselves: "
        "start the post-purchase follow-up when the order is fulfilled.")
    push_opt_outs = BooleanField(
        "Send Consentdesk opt-outs to Shopify", description="A STOP, a preference-center "
        "stop or any other opt-out of marketing marks the customer's SMS marketing consent "
        "unsubscribed in Shopify (needs an Admin API token with the write_customers scope).")
    admin_api_token = PasswordField("Admin API access token", validators=[Optional()],
                                    description="shpat_…, from the app's API credentials.")


class Shopify(Integration):
    name = "shopify"
    label = "Shopify"
    description = ("Orders as conversions with revenue, post-purchase follow-ups, cart "
                   "reminders for subscribers, SMS marketing consent from checkout, and the "
                   "privacy webhooks.")
    settings_form = ShopifySettings
    secret_fields = ("client_secret", "admin_api_token")
    setup_help = ("In Shopify: Settings → Notifications → Webhooks → Create webhook, format "
                  "JSON, this address, for each topic: Order creation, Order fulfillment, "
                  "Checkout creation and update, Customer creation and update. The privacy "
                  "topics are set in the app's configuration.")

    def verify(self, request: IntegrationRequest, settings: Mapping[str, Any]) -> bool:
        secret = settings.get("client_secret")
        if not secret:
            return False
        expected = base64.b64encode(hmac_sha256(secret, request.body)).decode()
        if not same(expected, request.header("X-Shopify-Hmac-Sha256")):
            return False
        shop = request.header("X-Shopify-Shop-Domain")
        return not settings.get("shop_domain") or shop == settings["shop_domain"]

    def event_id(self, request: IntegrationRequest) -> str | None:
        return request.header("X-Shopify-Event-Id") or request.header("X-Shopify-Webhook-Id")

    def topic(self, request: IntegrationRequest) -> str:
        return request.header("X-Shopify-Topic") or "?"

    def sandbox_settings(self) -> dict[str, Any]:
        return _sandbox_settings()

    def sandbox_deliveries(self, settings: Mapping[str, Any], phone: str):
        return _sandbox_deliveries(settings, phone)

    def forwards(self, settings: Mapping[str, Any]) -> list[str]:
        if settings.get("push_opt_outs") and settings.get("admin_api_token"):
            return ["consent.changed"]
        return []

    def forward(self, event: OutgoingEvent, settings: Mapping[str, Any]):
        """An opt-out of marketing (or of everything) made in Consentdesk, for a Shopify
        customer, as ``customerSmsMarketingConsentUpdate``; None for anything else, and for
        an opt-out that came from Shopify itself."""
        data = event.payload
        customer = (data.get("attributes") or {}).get("shopify_customer_id")
        if data.get("action") != "opt_out" or data.get("message_type") not in (
                "marketing", "all") or not customer or data.get("source") == self.name:
            return None
        url = settings.get("admin_api_url") or \
            f"https://{settings['shop_domain']}/admin/api/{API_VERSION}/graphql.json"
        body = json.dumps({"query": CONSENT_MUTATION, "variables": {"input": {
            "customerId": f"gid://shopify/Customer/{customer}",
            "smsMarketingConsent": {"marketingState": "UNSUBSCRIBED",
                                    "consentUpdatedAt": data.get("occurred_at")}}}}).encode()
        return OutgoingRequest(url, body, {"Content-Type": "application/json",
                                           "X-Shopify-Access-Token": settings["admin_api_token"]})

    def map(self, request: IntegrationRequest, settings: Mapping[str, Any]):
        topic = self.topic(request)
        data = request.json()
        if not isinstance(data, dict):
            raise MalformedDelivery("the body is not a JSON object")
        handler = HANDLERS.get(topic)
        if handler is None:
            return Ignored(f"topic {topic} is not used by Consentdesk")
        return handler(data, settings)


# ------------------------------------------------------------------------- the mappings


def _phone(*records: Any) -> str | None:
    for record in records:
        if isinstance(record, dict):
            for key in ("phone", "sms_marketing_phone"):
                if record.get(key):
                    return str(record[key])
        elif isinstance(record, str) and record:
            return record
    return None






def _person(phone: str, order: dict, customer: dict) -> UpsertContact:
    address = order.get("billing_address") or order.get("shipping_address") or {}
    attributes = {"shopify_customer_id": str(customer["id"])} if customer.get("id") else {}
    return UpsertContact(phone, first_name=customer.get("first_name") or address.get("first_name"),
                         last_name=customer.get("last_name") or address.get("last_name"),
                         email=customer.get("email") or order.get("email"),
                         postal_code=(address.get("zip") if address.get("country_code") in
                                      (None, "US") else None),
                         attributes=attributes, tags=("shopify",))


def _order_created(order: dict, settings: Mapping[str, Any]):
    customer = order.get("customer") or {}
    phone = _phone(order, customer, order.get("billing_address"), order.get("shipping_address"))
    if not phone:
        return Ignored(f"order {order.get('name') or order.get('id')} has no phone number")
    order_id = str(order["id"])
    products = [str(item.get("title")) for item in order.get("line_items") or []
                if item.get("title")]
    actions: list[Any] = [
        _person(phone, order, customer),
        Conversion(phone, "order.created", moment(order.get("created_at")),
                   external_id=f"order:{order_id}", value=amount(order.get("total_price")),
                   click_window_days=int(settings.get("attribution_days") or 7),
                   products=products),
        FlowEvent(phone, "order.created", {"order_id": order_id, "total": order.get("total_price"),
                                           "url": order.get("order_status_url")},
                  moment(order.get("created_at")), external_id=f"order:{order_id}")]
    if order.get("checkout_id"):
        actions.append(CancelPending(phone, {"checkout_id": str(order["checkout_id"])},
                                     f"order {order.get('name') or order_id} placed"))
    return actions


def _order_fulfilled(order: dict, settings: Mapping[str, Any]):
    customer = order.get("customer") or {}
    phone = _phone(order, customer, order.get("billing_address"), order.get("shipping_address"))
    if not phone:
        return Ignored(f"order {order.get('name') or order.get('id')} has no phone number")
    order_id = str(order["id"])
    payload = {"order_id": order_id, "url": order.get("order_status_url")}
    when = moment(order.get("updated_at"))
    actions: list[Any] = [FlowEvent(phone, "order.fulfilled", payload, when,
                                    external_id=f"fulfilled:{order_id}")]
    if settings.get("fulfilled_is_delivered"):
        actions.append(FlowEvent(phone, "order.delivered", payload, when,
                                 external_id=f"delivered:{order_id}"))
    return actions


def _fulfillment(fulfillment: dict, settings: Mapping[str, Any]):
    if fulfillment.get("shipment_status") != "delivered":
        return Ignored(f"shipment status {fulfillment.get('shipment_status')!r}: not delivered")
    destination = fulfillment.get("destination") or {}
    phone = _phone(fulfillment, destination)
    if not phone:
        return Ignored("the fulfillment has no phone number")
    order_id = str(fulfillment["order_id"])
    return [FlowEvent(phone, "order.delivered", {"order_id": order_id},
                      moment(fulfillment.get("updated_at")), external_id=f"delivered:{order_id}")]


def _checkout(checkout: dict, settings: Mapping[str, Any]):
    if checkout.get("completed_at"):
        return Ignored("the checkout is completed: its order cancels any reminder")
    customer = checkout.get("customer") or {}
    phone = _phone(checkout, customer, checkout.get("shipping_address"),
                   checkout.get("billing_address"))
    if not phone:
        return Ignored("the checkout has no phone number yet")
    checkout_id = str(checkout["id"])
    return [_person(phone, checkout, customer),
            FlowEvent(phone, "checkout.abandoned",
                      {"checkout_id": checkout_id, "url": checkout.get("abandoned_checkout_url")},
                      moment(checkout.get("created_at")), external_id=f"checkout:{checkout_id}")]


def _customer(customer: dict, settings: Mapping[str, Any]):
    consent = customer.get("sms_marketing_consent") or {}
    phone = _phone(customer, consent)
    if not phone:
        return Ignored(f"customer {customer.get('id')} has no phone number")
    actions: list[Any] = [_person(phone, {}, customer)]
    state = consent.get("state")
    detail = (f"Shopify customer {customer.get('id')}: SMS marketing {state}, opt-in level "
              f"{consent.get('opt_in_level')}, collected from "
              f"{consent.get('consent_collected_from')}, updated "
              f"{consent.get('consent_updated_at')}")
    when = moment(consent.get("consent_updated_at") or customer.get("updated_at"))
    if state == "subscribed":
        actions.append(RecordConsent(phone, "marketing", "opt_in", when, detail,
                                     disclosure=settings.get("disclosure") or None))
    elif state == "unsubscribed":
        actions.append(RecordConsent(phone, "marketing", "opt_out", when, detail))
    return actions


def _data_request(body: dict, settings: Mapping[str, Any]):
    customer = body.get("customer") or {}
    if not customer.get("phone"):
        return Ignored(f"data request {(body.get('data_request') or {}).get('id')}: the "
                       "customer has no phone number, so Consentdesk holds nothing on them")
    return [ExportContact(customer["phone"], f"Shopify data request "
                                             f"{(body.get('data_request') or {}).get('id')}")]


def _redact(body: dict, settings: Mapping[str, Any]):
    customer = body.get("customer") or {}
    if not customer.get("phone"):
        return Ignored("redaction: the customer has no phone number")
    return [EraseContact(customer["phone"], f"Shopify customers/redact for customer "
                                            f"{customer.get('id')}")]


def _shop_redact(body: dict, settings: Mapping[str, Any]):
    return [Disconnect(f"Shopify shop/redact for {body.get('shop_domain')}")]


HANDLERS = {
    "orders/create": _order_created,
    "orders/fulfilled": _order_fulfilled,
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
    "customers/create": _customer,
    "customers/update": _customer,
    "customers/data_request": _data_request,
    "customers/redact": _redact,
    "shop/redact": _shop_redact,
}


@hookimpl
def register_integrations(settings):
    return [Shopify()]


# ------------------------------------------------------------------------- the demo's sandbox

SANDBOX_SECRET = "sandbox-shop-secret"


def _sandbox_settings() -> dict[str, Any]:
    return {"shop_domain": "bloom-and-branch.myshopify.com", "client_secret": SANDBOX_SECRET,
            "disclosure": "Website marketing opt-in", "attribution_days": 7,
            "fulfilled_is_delivered": True}


def _sandbox_deliveries(settings: Mapping[str, Any], phone: str) -> list[SampleDelivery]:
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    order = {"id": 5001, "name": "#1051", "checkout_id": 7001, "created_at": now,
             "updated_at": now, "total_price": "84.00", "currency": "USD",
             "order_status_url": "https://bloom-and-branch.myshopify.com/orders/5001",
             "customer": {"id": 9001, "first_name": "Maya", "phone": phone},
             "line_items": [{"title": "Peony bouquet", "quantity": 1, "price": "84.00"}]}
    deliveries = []
    for n, (topic, body) in enumerate((("orders/create", order),
                                       ("orders/fulfilled", order)), start=1):
        raw = json.dumps(body).encode()
        deliveries.append(SampleDelivery("events", {
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": settings["shop_domain"],
            "X-Shopify-Event-Id": f"sandbox-{topic}-{n}", "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": base64.b64encode(
                hmac_sha256(settings["client_secret"], raw)).decode()}, raw))
    return deliveries
