"""The four ready-made flows end to end: trigger event → message delivered by the sandbox →
click on the branded link → conversion credited to the flow. Plus the engine's edges."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import app_ledger
from core.db import db
from core.flows import conversions, engine, seeds, templates
from core.models import (
    Brand,
    Campaign,
    Click,
    Contact,
    Disclosure,
    Flow,
    FlowEvent,
    FlowRun,
    Link,
    Message,
    MessageType,
    Sender,
)
from core.sending import dispatch

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=NY)  # a Monday noon in New York
PHONE = "+12125550123"
WEBSITE = "https://bloomandbranch.example"


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website=WEBSITE, support_phone="+14155550100",
                  link_domain="https://go.bloomandbranch.example")
    campaign = Campaign(brand=brand, name="Mixed", use_case="MIXED")
    session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    for seed in seeds.SEED_FLOWS:
        seeds.create(session, seed["name"], campaign, enabled=True)
    session.commit()
    return campaign


def person(session, phone=PHONE, slugs=("marketing", "transactional")):
    contact = Contact(phone=phone, first_name="Ana", timezone="America/New_York")
    disclosure = Disclosure(name=f"Checkout {phone}", text="Texts from Bloom & Branch. Reply STOP.")
    session.add_all([contact, disclosure])
    session.flush()
    for slug in slugs:
        kind = session.scalars(sa.select(MessageType).filter_by(slug=slug)).one()
        app_ledger(current_app, session).opt_in(
            contact, kind, source="web_form", disclosure=disclosure, actor="checkout",
            occurred_at=T0 - timedelta(days=30))
    return contact


def trigger(session, kind, contact, at=T0, **payload):
    event = engine.record(session, current_app, kind, contact, payload, at, source="test",
                          external_id=payload.pop("external_id", None))
    session.commit()
    return event


def deliver(session, at):
    """What a worker does at ``at``: advance flows whose wait is over, dispatch due texts."""
    engine.advance_due(session, current_app, at)
    session.commit()
    due = session.scalars(sa.select(Message.id).where(Message.status == "queued")).all()
    session.commit()
    dispatch.dispatch(current_app, due, now=at)
    session.expire_all()


def texts(session, contact):
    return session.scalars(sa.select(Message).where(Message.contact_id == contact.id,
                                                    Message.direction == "out")
                           .order_by(Message.id)).all()


def click(client, message, agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"):
    url = next(word for word in message.body.split() if "/l/" in word)
    assert url.startswith("https://go.bloomandbranch.example/l/")
    db.session.commit()
    return client.get(urlsplit(url).path, headers={"User-Agent": agent})


def test_website_lead_welcome(app, client, session, world):
    ana = person(session)
    trigger(session, "form.submitted", ana, form="contact", external_id="form-1")
    deliver(session, T0)
    [welcome] = texts(session, ana)
    assert welcome.status == "delivered" and welcome.flow.name == "Website lead welcome"
    assert welcome.body.startswith("Bloom & Branch: thanks for reaching out!")
    assert "(415) 555-0100" in welcome.body

    deliver(session, T0 + timedelta(hours=23))
    assert len(texts(session, ana)) == 1  # still waiting a day
    deliver(session, T0 + timedelta(days=1, minutes=1))
    follow_up = texts(session, ana)[1]
    assert follow_up.status == "delivered"

    response = click(client, follow_up)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.netloc == "bloomandbranch.example"
    assert parse_qs(target.query) == {"utm_source": ["sms"], "utm_medium": ["sms"],
                                      "utm_campaign": ["website-lead-welcome"]}
    clicked_at = session.scalars(sa.select(Click)).one().clicked_at
    order = conversions.record(session, ana, "order.created", clicked_at + timedelta(hours=2),
                               source="shopify", external_id="order-1001", value=42)
    assert (order.message_id, order.flow_id) == (follow_up.id, follow_up.flow_id)
    run = session.scalars(sa.select(FlowRun)).one()
    assert run.status == "done"


def test_lead_who_converts_gets_no_follow_up(app, session, world):
    ana = person(session)
    trigger(session, "form.submitted", ana)
    deliver(session, T0)
    conversions.record(session, ana, "order.created", T0 + timedelta(hours=3), source="shopify")
    session.commit()
    deliver(session, T0 + timedelta(days=1, minutes=1))
    assert len(texts(session, ana)) == 1
    run = session.scalars(sa.select(FlowRun)).one()
    assert run.status == "stopped" and "converted" in run.reason


def test_appointment_confirmation_and_reminder_in_the_contacts_time(app, session, world):
    ana = person(session)
    starts = datetime(2026, 11, 26, 15, 0, tzinfo=NY)
    trigger(session, "appointment.booked", ana, appointment_id="A1",
            starts_at=starts.isoformat())
    deliver(session, T0)
    [confirmation] = texts(session, ana)
    assert "booked for Thu Nov 26 at 3:00 PM" in confirmation.body
    assert confirmation.status == "delivered"
    deliver(session, starts - timedelta(hours=24, minutes=1))
    assert len(texts(session, ana)) == 1
    deliver(session, starts - timedelta(hours=24))
    reminder = texts(session, ana)[1]
    assert "reminder: see you Thu Nov 26 at 3:00 PM" in reminder.body
    assert reminder.expires_at == starts and reminder.status == "delivered"


def test_a_cancelled_appointment_gets_no_reminder(app, session, world):
    ana = person(session)
    starts = datetime(2026, 11, 26, 15, 0, tzinfo=NY)
    trigger(session, "appointment.booked", ana, appointment_id="A2", starts_at=starts.isoformat())
    trigger(session, "appointment.cancelled", ana, at=T0 + timedelta(hours=1),
            appointment_id="A2", starts_at=starts.isoformat())
    deliver(session, starts - timedelta(hours=24))
    assert len(texts(session, ana)) == 1
    booked = session.scalars(sa.select(FlowRun).join(Flow)
                             .where(Flow.name == "Appointment confirmation")).one()
    assert booked.status == "stopped"


def test_promotional_campaign_with_offer_click_and_conversion(app, client, session, world):
    ana = person(session)
    trigger(session, "campaign.send", ana)
    deliver(session, T0)
    [promo] = texts(session, ana)
    assert promo.body.startswith("Bloom & Branch: 20% off spring bouquets this weekend. Shop now:")
    assert promo.status == "delivered"
    assert click(client, promo).status_code == 302
    order = conversions.record(session, ana, "order.created", T0 + timedelta(hours=1),
                               source="shopify", external_id="order-2002")
    assert order.flow_id == promo.flow_id


def test_post_purchase_follow_up_two_days_after_delivery(app, client, session, world):
    ana = person(session)
    trigger(session, "order.delivered", ana, order_id="1042", external_id="shopify-1042")
    deliver(session, T0 + timedelta(days=1))
    assert texts(session, ana) == []
    deliver(session, T0 + timedelta(days=2))
    [ask] = texts(session, ana)
    assert "How did we do?" in ask.body and ask.status == "delivered"
    assert click(client, ask).status_code == 302
    # No click needed: a delivered message within a day gets the credit too.
    review = conversions.record(session, ana, "review.posted", T0 + timedelta(days=2, hours=1),
                                source="api")
    assert review.flow_id == ask.flow_id


def test_an_event_delivered_twice_starts_nothing_twice(app, session, world):
    ana = person(session)
    first = trigger(session, "form.submitted", ana, external_id="form-7")
    again = trigger(session, "form.submitted", ana, external_id="form-7")
    assert first.id == again.id
    assert session.scalar(sa.select(sa.func.count()).select_from(FlowEvent)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(FlowRun)) == 1


def test_a_blocked_step_records_why_and_the_run_moves_on(app, session, world):
    ben = person(session, "+12125550124", slugs=("transactional",))  # no marketing consent
    trigger(session, "campaign.send", ben)
    [promo] = texts(session, ben)
    assert promo.status == "blocked" and promo.block_reasons[0].startswith("no_consent")
    assert session.scalars(sa.select(FlowRun)).one().status == "done"


def test_preview_fetchers_and_head_requests_are_not_clicks(app, client, session, world):
    ana = person(session)
    trigger(session, "campaign.send", ana)
    [promo] = texts(session, ana)
    assert click(client, promo, agent="facebookexternalhit/1.1").status_code == 302
    path = urlsplit(next(w for w in promo.body.split() if "/l/" in w)).path
    assert client.head(path).status_code == 302
    assert session.scalars(sa.select(Click)).all() == []
    assert client.get("/l/nothing1").status_code == 404


def test_templates_refuse_unknown_placeholders_and_render_nothing_else():
    with pytest.raises(templates.TemplateError, match=r"\[dat\]"):
        templates.validate("See you [dat] at [time]")
    templates.validate("Order [event.order_id] shipped", event_fields=("order_id",))
    rendered = templates.render("[Brand]: {0.__class__} [event.x]",
                                templates.Context(brand="B & B", event={"x": "{{7*7}}"}))
    assert rendered == "B & B: {0.__class__} {{7*7}}"  # values are text, never evaluated
    with pytest.raises(templates.TemplateError, match="no value for"):
        templates.render("Hi [first_name]", templates.Context())


def test_flow_steps_are_checked_when_saved(app):
    with pytest.raises(engine.FlowError, match="unknown placeholder"):
        engine.check_steps([{"send": "Hi [nme]. Reply STOP to opt out."}], "form.submitted", app)
    with pytest.raises(engine.FlowError, match="public URL shortener"):
        engine.check_steps([{"send": "[branded link]", "link": "https://bit.ly/x"}],
                           "form.submitted", app)
    with pytest.raises(engine.FlowError, match="need an event with a time"):
        engine.check_steps([{"send": "See you [date]"}], "order.created", app)
    with pytest.raises(engine.FlowError, match="unknown trigger"):
        engine.check_steps([{"send": "Hi"}], "order.teleported", app)
    for seed in seeds.SEED_FLOWS:  # the ready-made flows pass their own check
        steps = [{k: (v.format(website=WEBSITE) if k == "link" else v) for k, v in step.items()}
                 for step in seed["steps"]]
        engine.check_steps(steps, seed["trigger"], app)


def test_hook_register_event_types(make_app):
    from hooks import EventType, hookimpl

    class Shop:
        @hookimpl
        def register_event_types(self):
            return [EventType("order.refunded", "An order was refunded.", ("order_id",))]

    app = make_app(EXTRA_PLUGINS=[Shop()])
    assert "order.refunded" in engine.event_types(app)
    engine.check_steps([{"send": "Refund for [event.order_id]. Reply STOP to opt out."}],
                       "order.refunded", app)


def test_unknown_events_are_refused(app, session, world):
    with pytest.raises(engine.FlowError, match="unknown event"):
        engine.record(session, current_app, "order.teleported", None, {}, T0, source="test")


def test_link_codes_are_unique_per_message_and_recipient(app, session, world):
    ana, ben = person(session), person(session, "+12125550124")
    trigger(session, "campaign.send", ana)
    trigger(session, "campaign.send", ben)
    codes = session.scalars(sa.select(Link.code)).all()
    assert len(codes) == len(set(codes)) == 2


def test_flow_performance_report_counts_delivery_clicks_and_conversions(
        app, client, session, world, runner):
    ana = person(session)
    trigger(session, "campaign.send", ana)
    deliver(session, T0)
    [promo] = texts(session, ana)
    click(client, promo)
    conversions.record(session, ana, "order.created", T0 + timedelta(hours=1), source="shopify")
    session.commit()
    result = runner.invoke(["report", "flow-performance"])
    assert result.exit_code == 0
    line = next(row for row in result.output.splitlines() if row.startswith("Promotional"))
    assert line == "Promotional campaign,order.created,1,1,0,0,1,1,1"


def test_two_plugins_declaring_the_same_event_is_a_start_up_error(make_app):
    from hooks import EventType, hookimpl

    class Shop:
        @hookimpl
        def register_event_types(self):
            return [EventType("order.created", "Again.", ())]

    with pytest.raises(RuntimeError, match="event type 'order.created'"):
        make_app(EXTRA_PLUGINS=[Shop()])


def test_a_click_is_answered_first_with_the_security_headers(app, client, session, world):
    """Clicks skip the identity and rate-limit work before the view, never the headers
    after it; a signed-in admin's click is recorded like anyone's."""
    ana = person(session)
    trigger(session, "campaign.send", ana)
    [promo] = texts(session, ana)
    response = click(client, promo)
    assert response.status_code == 302
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in response.headers
    assert len(session.scalars(sa.select(Click)).all()) == 1
    assert client.get("/l/nothing1").headers["X-Content-Type-Options"] == "nosniff"
