"""The integration intake: every delivery stored first; forged, stale and unconnected ones
refused with nothing processed; a redelivered event id processed once; mapping errors and
unknown topics recorded on the delivery, never a 500; actions through ledger and flows."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from wtforms import Form, StringField

from core.db import db
from core.integrations import connections
from core.models import (
    Consent,
    ConsentEvent,
    Contact,
    Conversion,
    Disclosure,
    FlowEvent,
    IntegrationDelivery,
    RevocationTicket,
)
from hooks import hookimpl
from hooks import integrations as api

SECRET = "acme-signing-secret"


class AcmeSettings(Form):
    disclosure = StringField("Disclosure")
    signing_secret = StringField("Signing secret")


class Acme(api.Integration):
    """A CRM that signs ``t.body`` like Calendly and names its events."""

    name, label = "acme", "Acme CRM"
    settings_form = AcmeSettings
    secret_fields = ("signing_secret",)

    def verify(self, request, settings):
        t, v1 = request.header("X-Acme-Time"), request.header("X-Acme-Signature")
        expected = hmac.new(settings["signing_secret"].encode(), f"{t}.".encode() +
                            request.body, hashlib.sha256).hexdigest()
        return api.same(expected, v1)

    def signed_at(self, request):
        return datetime.fromtimestamp(int(request.header("X-Acme-Time")), UTC)

    def event_id(self, request):
        return request.json()["id"]

    def topic(self, request):
        return request.json().get("type", "?")

    def map(self, request, settings):
        event = request.json()
        kind, data = event["type"], event.get("data", {})
        if kind == "lead.created":
            return [api.UpsertContact(data["phone"], first_name=data.get("name"),
                                      attributes={"crm_id": data["crm_id"]}),
                    api.RecordConsent(data["phone"], "marketing", "opt_in", datetime.now(UTC),
                                      "Acme lead form", disclosure=settings.get("disclosure"),
                                      evidence={"ip": data.get("ip")})]
        if kind == "lead.unsubscribed":
            return [api.RecordConsent(data["phone"], "all", "opt_out", datetime.now(UTC),
                                      "unsubscribed in Acme")]
        if kind == "order.paid":
            return [api.Conversion(data["phone"], "order.created", datetime.now(UTC),
                                   external_id=data["order"], value=Decimal(data["total"]),
                                   products=data.get("products", []))]
        if kind == "appointment.booked":
            return [api.FlowEvent(data["phone"], "appointment.booked",
                                  {"appointment_id": data["id"], "starts_at": data["at"]},
                                  external_id=data["id"])]
        if kind == "note":
            return [api.Revocation(data["phone"], data["text"], "crm", data["text"])]
        if kind == "explode":
            raise api.MalformedDelivery("no phone in the lead")
        return api.Ignored(f"topic {kind} is not used")


class Plugin:
    @hookimpl
    def register_integrations(self, settings):
        return [Acme()]


@pytest.fixture
def acme(make_app):
    app = make_app(EXTRA_PLUGINS=[Plugin()], QUEUE_URL="immediate")
    with app.app_context():
        db.session.add(Disclosure(name="Acme form", text="Bloom & Branch: recurring marketing "
                                  "texts. Msg & data rates may apply. Reply STOP to cancel."))
        connections.save(db.session, app, app.extensions["consentdesk"].integrations["acme"],
                         {"disclosure": "Acme form", "signing_secret": SECRET}, "admin")
        db.session.commit()
    return app


def post(app, event: dict | bytes, secret: str = SECRET, at: int | None = None,
         signature: str | None = None):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    t = str(at if at is not None else int(time.time()))
    sig = signature or hmac.new(secret.encode(), f"{t}.".encode() + body,
                                hashlib.sha256).hexdigest()
    return app.test_client().post("/hooks/integrations/acme/events", data=body,
                                  headers={"X-Acme-Time": t, "X-Acme-Signature": sig,
                                           "Content-Type": "application/json"})


LEAD = {"id": "evt_1", "type": "lead.created",
        "data": {"phone": "(415) 555-0142", "name": "Rosa", "crm_id": "C-9", "ip": "203.0.113.9"}}


def rows(app):
    with app.app_context():
        return db.session.scalars(sa.select(IntegrationDelivery)
                                  .order_by(IntegrationDelivery.id)).all()


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_genuine_delivery_is_stored_answered_and_mapped(acme):
    answer = post(acme, LEAD)
    assert answer.status_code == 200
    [delivery] = rows(acme)
    assert delivery.status == "processed", delivery.outcome
    assert delivery.event_id == "evt_1" and delivery.topic == "lead.created"
    with acme.app_context():
        stored = db.session.get(IntegrationDelivery, delivery.id)
        assert json.loads(stored.body) == LEAD
        contact = db.session.scalars(sa.select(Contact)).one()
        assert contact.phone == "+14155550142" and contact.first_name == "Rosa"
        assert contact.attributes["crm_id"] == "C-9"
        event = db.session.scalars(sa.select(ConsentEvent)).one()
        assert event.source == "acme" and event.action == "opt_in"
        assert "delivery" in event.actor


@pytest.mark.parametrize("case", ["forged", "wrong secret", "no signature", "stale", "future",
                                  "tampered"])
def test_a_refused_delivery_is_kept_as_an_excerpt_and_processes_nothing(acme, case):
    body = json.dumps(LEAD).encode()
    if case == "forged":
        answer = post(acme, body, signature="0" * 64)
    elif case == "wrong secret":
        answer = post(acme, body, secret="guess")
    elif case == "no signature":
        answer = acme.test_client().post("/hooks/integrations/acme/events", data=body)
    elif case == "stale":
        answer = post(acme, body, at=int(time.time()) - 301)
    elif case == "future":
        answer = post(acme, body, at=int(time.time()) + 400)
    else:
        t = str(int(time.time()))
        sig = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        answer = acme.test_client().post(
            "/hooks/integrations/acme/events", data=body.replace(b"Rosa", b"Eve!"),
            headers={"X-Acme-Time": t, "X-Acme-Signature": sig})
    assert answer.status_code == 401
    [delivery] = rows(acme)
    assert delivery.status == "rejected" and delivery.event_id is None
    assert count(acme, Contact) == 0 and count(acme, ConsentEvent) == 0
    # The genuine event still gets through: a forgery cannot claim its id.
    assert post(acme, LEAD).status_code == 200
    assert count(acme, ConsentEvent) == 1


def test_a_redelivered_event_is_acknowledged_and_processed_once(acme):
    for _ in range(3):
        assert post(acme, LEAD).status_code == 200
    [delivery] = rows(acme)
    assert delivery.redeliveries == 2
    assert count(acme, ConsentEvent) == 1


def test_the_same_state_again_records_nothing_new(acme):
    post(acme, LEAD)
    post(acme, {**LEAD, "id": "evt_2"})
    assert count(acme, ConsentEvent) == 1
    assert "already opted in" in rows(acme)[1].outcome


def test_an_unknown_topic_is_acknowledged_and_logged(acme):
    assert post(acme, {"id": "e", "type": "lead.merged"}).status_code == 200
    [delivery] = rows(acme)
    assert delivery.status == "ignored" and "lead.merged" in delivery.outcome


@pytest.mark.parametrize(("event", "says"), [
    ({"id": "e", "type": "explode"}, "no phone in the lead"),
    ({"id": "e", "type": "lead.created", "data": {"phone": "12", "crm_id": "x"}}, "phone"),
    ({"id": "e", "type": "lead.created", "data": {"name": "no phone"}}, "KeyError"),
    (b"{not json", "not JSON"),
])
def test_a_mapping_error_marks_the_delivery_failed_never_a_500(acme, event, says):
    answer = post(acme, event)
    assert answer.status_code == 200
    [delivery] = rows(acme)
    assert delivery.status == "failed" and says in delivery.outcome, delivery.outcome
    assert count(acme, Contact) == 0


def test_an_opt_in_without_a_disclosure_fails_with_the_reason_and_replays_once_fixed(acme):
    with acme.app_context():
        integration = acme.extensions["consentdesk"].integrations["acme"]
        connections.save(db.session, acme, integration, {"disclosure": "", "signing_secret": ""},
                         "admin")
        db.session.commit()
    post(acme, LEAD)
    [delivery] = rows(acme)
    assert delivery.status == "failed" and "disclosure" in delivery.outcome
    assert count(acme, Contact) == 0  # all or nothing
    with acme.app_context():
        connections.save(db.session, acme, integration, {"disclosure": "Acme form"}, "admin")
        db.session.commit()
    from core.integrations.intake import replay

    with acme.app_context():
        replay(acme, delivery.id)
    assert rows(acme)[0].status == "processed"
    assert count(acme, ConsentEvent) == 1


def test_an_unsubscribe_is_an_opt_out_honoured_at_once(acme):
    post(acme, LEAD)
    post(acme, {"id": "evt_3", "type": "lead.unsubscribed", "data": {"phone": "4155550142"}})
    with acme.app_context():
        assert set(db.session.scalars(sa.select(Consent.state))) == {"opted_out"}


def test_orders_become_conversions_and_segment_fields(acme):
    post(acme, LEAD)
    for n, total in enumerate(("40.00", "85.50")):
        post(acme, {"id": f"o{n}", "type": "order.paid", "data": {
            "phone": "+14155550142", "order": f"#{n}", "total": total, "products": ["Roses"]}})
    post(acme, {"id": "o1-again", "type": "order.paid", "data": {
        "phone": "+14155550142", "order": "#1", "total": "85.50"}})
    assert count(acme, Conversion) == 2
    with acme.app_context():
        attributes = db.session.scalars(sa.select(Contact)).one().attributes
    assert attributes["orders_count"] == 2 and attributes["total_spent"] == 125.5
    assert attributes["products"] == ["Roses"] and attributes["last_order_at"]


def test_a_flow_event_is_stored_once_per_external_id(acme):
    event = {"type": "appointment.booked", "data": {"phone": "+14155550142", "id": "A1",
                                                   "at": "2030-01-01T15:00:00+00:00"}}
    post(acme, {**event, "id": "b1"})
    post(acme, {**event, "id": "b2"})  # the sender's two deliveries of one booking
    assert count(acme, FlowEvent) == 1


@pytest.mark.parametrize(("text", "revoked"), [
    ("Please stop texting me", True),
    ("STOP", True),
    ("remove me from your text list", True),
    ("can you stop by the store to pick it up?", False),
    ("my order has not arrived", False),
])
def test_a_note_asking_to_stop_is_a_revocation_with_a_ticket(acme, text, revoked):
    post(acme, LEAD)
    post(acme, {"id": "n", "type": "note", "data": {"phone": "+14155550142", "text": text}})
    assert count(acme, RevocationTicket) == int(revoked), rows(acme)[1].outcome
    with acme.app_context():
        states = set(db.session.scalars(sa.select(Consent.state)))
    assert states == ({"opted_out"} if revoked else {"opted_in"})


def test_an_unconnected_integration_refuses_and_stores(make_app):
    app = make_app(EXTRA_PLUGINS=[Plugin()], QUEUE_URL="immediate")
    assert post(app, LEAD).status_code == 401
    [delivery] = rows(app)
    assert delivery.status == "rejected" and "not connected" in delivery.outcome


def test_unknown_integration_or_route_is_404_and_huge_bodies_413(acme):
    client = acme.test_client()
    assert client.post("/hooks/integrations/nope/events", data=b"{}").status_code == 404
    assert client.post("/hooks/integrations/acme/other", data=b"{}").status_code == 404
    assert client.post("/hooks/integrations/acme/events",
                       data=b"x" * (1024 * 1024 + 10)).status_code == 413
    assert rows(acme) == []


def test_secrets_are_encrypted_at_rest(acme):
    with acme.app_context():
        connection = connections.find(db.session, "acme")
        assert SECRET not in (connection.secrets or "")
        assert "signing_secret" not in connection.settings
        assert connections.settings_of(acme, connection)["signing_secret"] == SECRET


def test_purchase_behaviour_is_a_segment(acme):
    """Win-back (ordered before, not in 90 days) and VIP (spent over $100) as segments."""
    from datetime import timedelta

    from core.flows import audiences
    from core.models import MessageType

    post(acme, LEAD)
    post(acme, {"id": "o1", "type": "order.paid", "data": {
        "phone": "+14155550142", "order": "#1", "total": "120.00"}})
    with acme.app_context():
        marketing = db.session.scalar(sa.select(MessageType.id).where(MessageType.slug ==
                                                                      "marketing"))
        now = datetime.now(UTC)

        def members(rule, at=now):
            return audiences.count(db.session, marketing, {"all": [rule]}, at)

        assert members({"total_spent_at_least": 100}) == 1
        assert members({"total_spent_at_least": 200}) == 0
        assert members({"no_order_within_days": 90}) == 0
        assert members({"no_order_within_days": 90}, now + timedelta(days=91)) == 1
        assert members({"attribute": "orders_count", "op": ">=", "value": 1}) == 1


def test_hook_register_integrations(make_app):
    """Declared integrations are mounted, listed and become consent sources; a duplicate name
    or an object that is not an Integration is a start-up error."""
    app = make_app(EXTRA_PLUGINS=[Plugin()])
    assert set(app.extensions["consentdesk"].integrations) == {"acme"}
    assert app.extensions["consentdesk"].consent_sources["acme"].label == "Acme CRM"

    class NotAnIntegration:
        @hookimpl
        def register_integrations(self, settings):
            return [type("Fake", (), {"name": "fake"})()]

    with pytest.raises(RuntimeError, match="must subclass"):
        make_app(EXTRA_PLUGINS=[NotAnIntegration()])
    with pytest.raises(RuntimeError, match="acme"):
        make_app(EXTRA_PLUGINS=[Plugin(), Plugin()])


def test_integration_events_are_on_the_contacts_story_with_their_source(acme):
    from core.contact_story import story

    post(acme, {"id": "b1", "type": "appointment.booked", "data": {
        "phone": "+14155550142", "id": "A7", "at": "2030-01-01T15:00:00+00:00"}})
    post(acme, {"id": "o1", "type": "order.paid", "data": {
        "phone": "+14155550142", "order": "#7", "total": "12.00"}})
    with acme.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        told = story(db.session, contact, acme.config["SUPPRESSION_KEY"])
    assert [(e.kind, e.source) for e in told.events] == [("appointment.booked",
                                                          "integration:acme")]
    assert [(c.kind, c.source) for c in told.conversions] == [("order.created",
                                                               "integration:acme")]
