"""Segments compiled to SQL, and a promotional send to a segment done in bulk."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import app_ledger
from core.db import utcnow
from core.flows import audiences, campaign, conversions, engine, seeds
from core.models import (
    Brand,
    Campaign,
    Click,
    Contact,
    Disclosure,
    Link,
    Message,
    MessageType,
    Preference,
    Segment,
    Sender,
)
from core.sending import dispatch

NY = ZoneInfo("America/New_York")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=NY)


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", link_domain="https://go.bb.example")
    found = Campaign(brand=brand, name="Promotions", use_case="MARKETING")
    session.add_all([brand, found, Sender(address="+14155550142", campaign=found)])
    session.flush()
    flow = seeds.create(session, "Promotional campaign", found, enabled=True)
    disclosure = Disclosure(name="Web", text="Offers from Bloom & Branch. Reply STOP to cancel.")
    session.add(disclosure)
    session.flush()
    return {"flow": flow, "disclosure": disclosure,
            "types": {t.slug: t for t in session.scalars(sa.select(MessageType))}}


def person(session, world, phone, *slugs, source="web_form", joined=NOON - timedelta(days=30),
           **fields):
    contact = Contact(phone=phone, **fields)
    session.add(contact)
    session.flush()
    for slug in slugs:
        app_ledger(current_app, session).opt_in(
            contact, world["types"][slug], source=source, disclosure=world["disclosure"],
            actor="test", occurred_at=joined)
    return contact


def members(session, definition, slug="marketing"):
    kind = session.scalars(sa.select(MessageType).filter_by(slug=slug)).one()
    query = audiences.audience(session, kind.id, definition, NOON)
    return sorted(row.phone for row in session.execute(query))


def test_segment_conditions_compile_to_one_query(app, session, world):
    vip = person(session, world, "+12125550101", "marketing", tags=["vip"],
                 attributes={"orders": 5, "city": "Brooklyn"}, first_name="Ana")
    person(session, world, "+12125550102", "marketing", source="keyword", tags=["wedding"],
           attributes={"orders": 1}, joined=NOON - timedelta(days=400))
    person(session, world, "+12125550103", "transactional", tags=["vip"])  # no marketing
    session.add(Preference(contact_id=vip.id, language="es"))
    conversions.record(session, vip, "order.created", NOON - timedelta(days=3), source="shopify",
                       value=Decimal("120.00"))
    session.flush()
    assert members(session, None) == ["+12125550101", "+12125550102"]
    assert members(session, {"all": [{"tag": "vip"}]}) == ["+12125550101"]
    assert members(session, {"all": [{"attribute": "orders", "op": ">=", "value": 2}]}) == [
        "+12125550101"]
    assert members(session, {"all": [{"attribute": "city", "value": "Brooklyn"}]}) == [
        "+12125550101"]
    assert members(session, {"all": [{"source": "keyword"}]}) == ["+12125550102"]
    assert members(session, {"all": [{"opted_in_within_days": 90}]}) == ["+12125550101"]
    assert members(session, {"all": [{"language": "es"}]}) == ["+12125550101"]
    assert members(session, {"all": [{"ordered_within_days": 7}]}) == ["+12125550101"]
    assert members(session, {"all": [{"total_spent_at_least": 100}]}) == ["+12125550101"]
    assert members(session, {"all": [{"total_spent_at_least": 500}]}) == []
    assert members(session, {"all": [{"consent": "transactional"}]}, slug="transactional") == [
        "+12125550103"]
    # A condition on another type than the send's is its own test, not the send's consent row.
    both = person(session, world, "+12125550105", "marketing", "transactional")
    assert members(session, {"all": [{"consent": "transactional"}]}) == [both.phone]
    kind = world["types"]["marketing"]
    assert audiences.count(session, kind.id, {"all": [{"tag": "vip"}]}, NOON) == 1


@pytest.mark.parametrize("definition", [
    {"any": []}, {"all": "tag"}, {"all": [{"colour": "red"}]},
    {"all": [{"attribute": "orders", "op": "~", "value": 1}]},
    {"all": [{"consent": "carrier-pigeon"}]},
])
def test_malformed_segments_are_clear_errors(app, session, world, definition):
    with pytest.raises(audiences.AudienceError):
        audiences.conditions(session, definition, NOON)


def test_promotional_send_to_a_segment_in_bulk(app, client, session, world):
    flow = world["flow"]
    flow.segment = Segment(name="VIPs", definition={"all": [{"tag": "vip"}]})
    ny = person(session, world, "+12125550101", "marketing", tags=["vip"], timezone="America/New_York")
    la = person(session, world, "+13105550102", "marketing", tags=["vip"],
                timezone="America/Los_Angeles")
    person(session, world, "+12125550103", "marketing", tags=["other"])
    stopped = person(session, world, "+12125550104", "marketing", tags=["vip"])
    app_ledger(current_app, session).opt_out(stopped, None, source="keyword", actor="sms",
                                             occurred_at=NOON - timedelta(days=1))
    session.flush()
    at = datetime(2026, 11, 23, 10, 30, tzinfo=NY)  # 07:30 in Los Angeles: quiet hours there
    report = campaign.send_now(session, current_app, flow, "spring", at)
    session.commit()
    assert (report.audience, report.queued, report.deferred) == (2, 1, 1)
    rows = {m.contact_id: m for m in session.scalars(sa.select(Message))}
    assert set(rows) == {ny.id, la.id}
    assert rows[ny.id].status == "queued"
    assert rows[la.id].status == "deferred"
    assert rows[la.id].send_after == datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert rows[la.id].block_reasons[0].startswith("quiet_hours: 07:30")
    link = session.scalars(sa.select(Link)).one()  # one link for the send...
    codes = {contact: re.search(r"https://go\.bb\.example/l/([\w-]+)", m.body).group(1)
             for contact, m in rows.items()}
    assert len(set(codes.values())) == 2  # ...and a code per recipient
    assert all(code.startswith(link.code) and len(code) == 20 for code in codes.values())
    assert all(m.link_id == link.id for m in rows.values())

    again = campaign.send_now(session, current_app, flow, "spring", at)  # the same send again
    session.commit()
    assert (again.queued, again.already_sent) == (0, 2)

    assert client.get(f"/l/{codes[la.id]}").status_code == 302
    click = session.scalars(sa.select(Click)).one()
    assert (click.link_id, click.message_id, click.contact_id) == (link.id, rows[la.id].id, la.id)
    made_up = link.code + "0123456789ab"  # a recipient part nobody was sent: no click counted
    assert client.get(f"/l/{made_up}").status_code == 302
    assert session.scalar(sa.select(sa.func.count(Click.id))) == 1
    bought = conversions.record(session, la, "order.created", utcnow(), source="shopify",
                                external_id="order-1")
    assert (bought.message_id, bought.flow_id) == (rows[la.id].id, flow.id)

    ids = [m.id for m in rows.values()]
    session.commit()  # end this test's read: the dispatcher needs SQLite's write lock
    dispatch.dispatch(current_app, ids, now=at)
    session.expire_all()
    assert session.get(Message, rows[ny.id].id).status == "delivered"
    session.commit()
    dispatch.dispatch(current_app, ids,
                      now=datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles")))
    session.expire_all()
    assert session.get(Message, rows[la.id].id).status == "delivered"


def test_send_at_ten_local_in_each_time_zone(app, session, world):
    person(session, world, "+12125550101", "marketing", timezone="America/New_York")
    person(session, world, "+13105550102", "marketing", timezone="America/Los_Angeles")
    session.flush()
    report = campaign.send_now(session, current_app, world["flow"], "ten-local",
                               datetime(2026, 11, 23, 6, 0, tzinfo=NY), local_time=time(10, 0))
    assert report.deferred == 2
    after = sorted(m.send_after for m in session.scalars(sa.select(Message)))
    assert after == [datetime(2026, 11, 23, 10, 0, tzinfo=NY),
                     datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))]


def test_a_recipient_missing_a_field_the_template_needs_is_blocked_with_the_reason(
        app, session, world):
    flow = world["flow"]
    flow.steps = [{"send": "[Brand]: hi [first_name], [offer] Reply STOP to opt out.",
                   "offer": "20% off"}]
    ana = person(session, world, "+12125550101", "marketing", first_name="Ana")
    person(session, world, "+12125550102", "marketing")
    session.flush()
    report = campaign.send_now(session, current_app, flow, "names", NOON)
    reason = "template: no value for [first_name]"
    assert report.queued == 1 and report.blocked == {reason: 1}
    sent = {m.contact_id: m for m in session.scalars(sa.select(Message))}
    assert sent[ana.id].body == "Bloom & Branch: hi Ana, 20% off Reply STOP to opt out."
    [nameless] = [m for m in sent.values() if m.contact_id != ana.id]
    assert (nameless.status, nameless.block_reasons) == ("blocked", [reason])


def test_a_campaign_send_event_without_a_contact_sends_to_the_flows_audience(
        app, session, world):
    person(session, world, "+12125550101", "marketing")
    person(session, world, "+12125550102", "marketing")
    session.flush()
    engine.record(session, current_app, "campaign.send", None, {"offer": "Free delivery."},
                  NOON, source="admin", external_id="send-1")
    session.commit()
    bodies = [m.body for m in session.scalars(sa.select(Message))]
    assert len(bodies) == 2 and all("20% off spring bouquets" in b for b in bodies)


def scheduled(session, world, **when):
    from core.models import ScheduledSend

    send = ScheduledSend(flow=world["flow"], created_by="marketing@bloomandbranch.example",
                         created_at=NOON - timedelta(days=1), **when)
    session.add(send)
    session.flush()
    return send


def test_a_send_at_an_instant_starts_when_due_and_only_once(app, session, world):
    from core.flows import schedule

    person(session, world, "+12125550101", "marketing")
    send = scheduled(session, world, at=NOON)
    assert schedule.run_due(session, current_app, NOON - timedelta(minutes=1)) == 0
    assert schedule.run_due(session, current_app, NOON) == 1
    assert schedule.run_due(session, current_app, NOON + timedelta(minutes=1)) == 0
    assert send.status == "done" and send.report["queued"] == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_ten_local_starts_with_the_first_zone_and_holds_each_row_until_its_ten(
        app, session, world):
    from datetime import date

    from core.flows import schedule

    person(session, world, "+12125550101", "marketing", timezone="America/New_York")
    person(session, world, "+13105550102", "marketing", timezone="America/Los_Angeles")
    send = scheduled(session, world, day=date(2026, 11, 24), local_time="10:00")
    assert schedule.starts_at(session, send) == datetime(2026, 11, 24, 10, 0, tzinfo=NY)
    assert schedule.run_due(session, current_app, datetime(2026, 11, 24, 9, 59, tzinfo=NY)) == 0
    assert schedule.run_due(session, current_app, datetime(2026, 11, 24, 10, 0, tzinfo=NY)) == 1
    after = sorted((m.phone, m.send_after) for m in session.scalars(sa.select(Message)))
    assert after == [("+12125550101", None),
                     ("+13105550102",
                      datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles")))]


def test_cancel_before_start_sends_nothing_and_after_start_stops_what_waits(
        app, session, world):
    from datetime import date

    from core.flows import schedule

    person(session, world, "+12125550101", "marketing", timezone="America/New_York")
    person(session, world, "+13105550102", "marketing", timezone="America/Los_Angeles")
    early = scheduled(session, world, at=NOON)
    assert schedule.cancel(session, early, "ops") == 0
    assert schedule.run_due(session, current_app, NOON) == 0 and early.status == "cancelled"

    later = scheduled(session, world, day=date(2026, 11, 24), local_time="10:00")
    schedule.run_due(session, current_app, datetime(2026, 11, 24, 10, 0, tzinfo=NY))
    assert schedule.cancel(session, later, "ops") == 2  # neither was handed to a provider yet
    statuses = {m.status for m in session.scalars(sa.select(Message))}
    assert statuses == {"blocked"}


def test_admin_schedules_only_through_the_preview_and_cancels_a_send(app, client, login,
                                                                    session, world):
    from core.models import ScheduledSend

    person(session, world, "+12125550123", "marketing", first_name="Ana")
    session.commit()
    login("marketing")
    # The bare create form is gone: a send is made after its audience is seen and confirmed.
    client.post("/admin/scheduledsend/new/", data={"flow": str(world["flow"].id),
                                                   "day": "2026-11-24", "local_time": "10:00"})
    assert session.scalar(sa.select(sa.func.count(ScheduledSend.id))) == 0
    day = (date.today() + timedelta(days=3)).isoformat()
    choice = {"flow": str(world["flow"].id), "when": "local", "day": day, "time": "10:00",
              "zone": "America/New_York"}
    preview = client.post("/admin/send/", data=choice).get_data(as_text=True)
    count = preview.split('name="confirmed" value="')[1].split('"')[0]
    assert f"Schedule for {int(count):,} " in preview
    ok = client.post("/admin/send/confirm", data={**choice, "confirmed": count})
    assert ok.status_code == 302
    send = session.scalars(sa.select(ScheduledSend)).one()
    assert send.created_by == "marketing@bloomandbranch.example" and send.status == "scheduled"
    client.post("/admin/scheduledsend/action/", data={"action": "cancel", "rowid": str(send.id)})
    session.expire_all()
    assert session.get(ScheduledSend, send.id).status == "cancelled"
