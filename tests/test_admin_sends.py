"""Sending to an audience from the admin: only schedulable flows, a preview of who it reaches
and why not, a confirmation that repeats the number, cancel, pause and resume."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.consent import app_ledger
from core.flows import seeds, send_preview, sends
from core.models import (
    Brand,
    Campaign,
    Contact,
    Disclosure,
    Flow,
    Message,
    MessageType,
    ScheduledSend,
    Segment,
    Sender,
)

OPTED_IN = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL="https://sms.bloom.example", QUEUE_URL="memory")


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", support_phone="+14155550100")
    campaign = Campaign(brand=brand, name="Promotions", use_case="MARKETING")
    session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    promo = seeds.create(session, "Promotional campaign", campaign)
    promo.enabled = True
    welcome = seeds.create(session, "Website lead welcome", campaign)
    marketing = session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
    disclosure = Disclosure(name="Web form", text="Promotions from Bloom & Branch. STOP to end.")
    session.add(disclosure)
    ledger = app_ledger(app, session)
    people = []
    for n, (phone, name) in enumerate([("+12125550101", "Ana"), ("+12125550102", "Ben"),
                                       ("+13055550103", "Chloe"), ("+14155550104", "Dev"),
                                       ("+12125550105", "Elena")]):
        contact = Contact(phone=phone, first_name=name)
        session.add(contact)
        session.flush()
        if n < 4:
            ledger.opt_in(contact, marketing, source="web_form", disclosure=disclosure,
                          actor="web form", occurred_at=OPTED_IN)
        people.append(contact)
    ledger.opt_out(people[3], None, source="keyword", actor="inbound SMS",
                   occurred_at=OPTED_IN + timedelta(days=1))
    session.commit()
    return {"promo": promo.id, "welcome": welcome.id, "people": [p.id for p in people]}


def test_a_flow_started_by_one_persons_event_cannot_be_sent_to_an_audience(app, session, world):
    welcome = session.get(Flow, world["welcome"])
    with pytest.raises(send_preview.SendRefused, match="form.submitted"):
        send_preview.preview(session, app, welcome, datetime.now(UTC))


def test_the_preview_counts_who_gets_it_and_who_is_left_out_and_why(app, session, world):
    promo = session.get(Flow, world["promo"])
    preview = send_preview.preview(session, app, promo,
                                   datetime(2026, 12, 8, 17, 0, tzinfo=UTC))
    assert (preview.in_segment, preview.eligible, preview.will_send) == (5, 3, 3)
    assert dict(preview.blocked) == {"no_consent": 1, "suppressed": 1}
    assert [s["name"] for s in preview.samples] == ["Ana +12125550101", "Ben +12125550102",
                                                    "Chloe +13055550103"]
    assert all("Bloom & Branch" in s["text"] for s in preview.samples)
    assert all("https://sms.bloom.example/l/" in s["text"] for s in preview.samples)
    assert preview.findings == [] and preview.warnings == []


def test_quiet_hours_in_each_persons_own_time_are_shown(app, session, world):
    promo = session.get(Flow, world["promo"])
    late = datetime(2026, 12, 9, 1, 30, tzinfo=UTC)  # 20:30 in New York and in Miami
    preview = send_preview.preview(session, app, promo, late)
    florida = next(g for g in preview.groups if g.state == "FL")
    assert florida.deferred and florida.goes_out.hour == 8
    new_york = next(g for g in preview.groups if g.state == "NY")
    assert not new_york.deferred


def test_links_to_a_local_address_are_a_finding_that_blocks_the_send(make_app, session, world):
    from core.db import db

    session.rollback()
    app = make_app(PUBLIC_URL=None)
    with app.app_context():
        promo = db.session.get(Flow, world["promo"])
        preview = send_preview.preview(db.session, app, promo,
                                       datetime(2026, 12, 8, 17, tzinfo=UTC))
        db.session.rollback()
    assert any("local address" in w for w in preview.warnings)
    assert any("local address" in f for f in preview.findings)
    assert preview.will_send == 0


def test_starting_a_send_needs_the_number_that_was_confirmed(app, session, world):
    promo = session.get(Flow, world["promo"])
    with pytest.raises(sends.SendChanged, match="now 3 people, not 4"):
        sends.start(session, app, promo, "marketing@bloomandbranch.example", confirmed=4)
    send = sends.start(session, app, promo, "marketing@bloomandbranch.example", confirmed=3)
    session.commit()
    assert send.status == "done" and send.confirmed_count == 3
    assert sum(sends.progress(session, send).values()) == 3


def test_a_running_send_can_be_paused_resumed_and_cancelled(app, session, world):
    promo = session.get(Flow, world["promo"])
    send = sends.start(session, app, promo, "m@b.example", confirmed=3)
    session.commit()
    assert sends.pause(session, send) == 3
    session.commit()
    assert sends.progress(session, send) == {"paused": 3}
    assert sends.resume(session, send) == 3
    session.commit()
    assert set(sends.progress(session, send)) <= {"queued", "deferred"}
    from core.flows import schedule

    assert schedule.cancel(session, send, "m@b.example") == 3
    session.commit()
    assert sends.progress(session, send) == {"blocked": 3}


def test_a_later_send_waits_and_can_be_cancelled_before_it_starts(app, session, world):
    promo = session.get(Flow, world["promo"])
    send = sends.start(session, app, promo, "m@b.example", confirmed=3,
                       day=date.today() + timedelta(days=2),
                       local_time=datetime.strptime("10:00", "%H:%M").time())
    session.commit()
    assert send.status == "scheduled"
    assert session.scalar(sa.select(sa.func.count(Message.id))) == 0


# Through the admin.

def test_marketing_previews_and_confirms_a_send_with_the_number_on_the_button(
        client, login, session, world):
    login("marketing")
    page = client.get("/admin/send/").get_data(as_text=True)
    assert "Promotional campaign" in page and "Website lead welcome" in page
    assert "cannot be sent to an audience" in page
    preview = client.post("/admin/send/", data={"flow": world["promo"], "when": "now",
                                                "zone": "America/New_York"})
    html = preview.get_data(as_text=True)
    assert "Send to 3 people" in html
    assert "No opt-in for this type of message" in html
    assert "On the suppression list" in html
    done = client.post("/admin/send/confirm", data={"flow": world["promo"], "when": "now",
                                                    "zone": "America/New_York",
                                                    "confirmed": "3"})
    assert done.status_code == 302
    send = session.scalars(sa.select(ScheduledSend)).one()
    assert send.confirmed_count == 3 and send.created_by == "marketing@bloomandbranch.example"
    status = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Confirmed for 3 people" in status and "Pause" in status


def test_a_stale_confirmation_shows_the_new_preview_instead_of_sending(
        client, login, session, world):
    login("marketing")
    response = client.post("/admin/send/confirm", data={"flow": world["promo"], "when": "now",
                                                        "zone": "America/New_York",
                                                        "confirmed": "1214"})
    html = response.get_data(as_text=True)
    assert "The audience changed since the preview" in html and "Send to 3 people" in html
    assert session.scalar(sa.select(sa.func.count(ScheduledSend.id))) == 0


def test_support_cannot_send_to_an_audience(client, login, world):
    login("support")
    assert client.get("/admin/send/").status_code == 403


def test_a_segment_limits_the_audience(app, session, world):
    promo = session.get(Flow, world["promo"])
    segment = Segment(name="Manhattan", definition={"all": [{"tag": "nyc"}]})
    session.add(segment)
    session.get(Contact, world["people"][0]).tags = ["nyc"]
    promo.segment = segment
    session.commit()
    preview = send_preview.preview(session, app, promo, datetime(2026, 12, 8, 17, tzinfo=UTC))
    assert (preview.in_segment, preview.will_send) == (1, 1)


@pytest.mark.parametrize("path", ["/admin/send/", "/admin/send/confirm"])
def test_a_crafted_post_cannot_send_a_per_person_flow_to_an_audience(client, login, session,
                                                                     world, path):
    login("marketing")
    response = client.post(path, data={"flow": world["welcome"], "when": "now",
                                       "confirmed": 3}, follow_redirects=True)
    assert response.status_code == 200
    assert session.scalar(sa.select(sa.func.count()).select_from(ScheduledSend)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_asking_for_a_per_person_flow_by_address_explains_why_not(client, login, world):
    login("marketing")
    page = client.get(f"/admin/send/?flow={world['welcome']}").get_data(as_text=True)
    assert "“Website lead welcome” cannot be sent to an audience" in page
    assert "starts on <strong>form.submitted</strong>" in page
