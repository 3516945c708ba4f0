"""Flows in the admin and on the command line: ready-made flows, checked steps, triggers."""

import json

import sqlalchemy as sa

from core.models import Brand, Campaign, Contact, Flow, FlowRun, Sender


def campaign(session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", support_phone="+14155550100")
    found = Campaign(brand=brand, name="Mixed", use_case="MIXED")
    session.add_all([brand, found, Sender(address="+14155550142", campaign=found),
                     Contact(phone="+12125550123")])
    session.commit()
    return found


def test_ready_made_flow_is_created_disabled_in_one_click(client, login, session):
    campaign(session)
    login("marketing")
    page = client.get("/admin/flowtemplates/").get_data(as_text=True)
    assert "Website lead welcome" in page and "Post-purchase follow-up" in page
    response = client.post("/admin/flowtemplates/", data={"name": "Appointment confirmation"})
    assert response.status_code == 302 and "/admin/flow/edit/" in response.headers["Location"]
    flow = session.scalars(sa.select(Flow)).one()
    assert (flow.name, flow.trigger, flow.enabled) == ("Appointment confirmation",
                                                       "appointment.booked", False)
    page = client.get("/admin/flowtemplates/").get_data(as_text=True)
    assert "already created" in page and f"/admin/try/?flow={flow.id}" in page


def test_ready_made_flows_are_described_in_words_not_json(client, login):
    login("marketing")
    page = client.get("/admin/flowtemplates/").get_data(as_text=True)
    assert "Wait 1 day" in page and "Stop if they have bought" in page
    assert "Wait until 24 hours before the appointment" in page
    assert "{&#34;send" not in page and '{"send' not in page and "stop_if" not in page


def test_support_cannot_create_flows(client, login):
    login("support")
    assert client.post("/admin/flowtemplates/", data={"name": "Promotional campaign"}).status_code == 403


def test_a_flow_with_an_unknown_placeholder_is_not_saved(client, login, session):
    found = campaign(session)
    login("marketing")
    kind = session.scalars(sa.text("SELECT id FROM message_type WHERE slug='marketing'")).one()
    response = client.post("/admin/flow/new/", data={
        "name": "Typo", "trigger": "form.submitted", "message_type": str(kind),
        "campaign": str(found.id),
        "steps": json.dumps([{"send": "Hi [frist_name]. Reply STOP to opt out."}])},
        follow_redirects=True)
    assert "unknown placeholder(s) [frist_name]" in response.get_data(as_text=True)
    assert session.scalars(sa.select(Flow)).all() == []


def test_cli_seeds_and_triggers_a_flow(app, runner, session):
    campaign(session)
    seeded = runner.invoke(["flows", "seed", "--enable"])
    assert seeded.exit_code == 0 and "Website lead welcome: enabled" in seeded.output
    result = runner.invoke(["flows", "trigger", "order.delivered", "(212) 555-0123",
                            "--payload", '{"order_id": "1042"}', "--external-id", "o-1042"])
    assert result.exit_code == 0, result.output
    assert "Post-purchase follow-up: waiting, step 1, next at" in result.output
    session.expire_all()
    assert session.scalars(sa.select(FlowRun)).one().status == "waiting"
    bad = runner.invoke(["flows", "trigger", "order.teleported", "+12125550123"])
    assert bad.exit_code == 2 and "unknown event" in bad.output
    unknown = runner.invoke(["flows", "trigger", "order.delivered", "+12125550199"])
    assert unknown.exit_code == 2 and "no contact" in unknown.output


def test_flow_preview_renders_each_text_with_the_gates_findings(client, login, session):
    campaign(session)
    login("marketing")
    steps = json.dumps([
        {"send": "[Brand]: see you [date] at [time]. Reply STOP to opt out."},
        {"wait": {"before": "24h"}},
        {"send": "Reminder for tomorrow, details: bit.ly/x"},
    ])
    found = client.get("/admin/api/flow-preview", query_string={
        "steps": steps, "trigger": "appointment.booked", "message_type": "transactional"}).get_json()
    assert found["error"] is None
    first, second = found["steps"]
    assert first["text"].startswith("Bloom & Branch: see you ") and " at 3:00 PM." in first["text"]
    assert first["findings"] == [] and first["encoding"] == "GSM-7"
    assert [f.split(":")[0] for f in second["findings"]] == ["brand_missing", "public_shortener"]
    broken = client.get("/admin/api/flow-preview", query_string={
        "steps": '[{"send": "[nope]"}]', "trigger": "order.created"}).get_json()
    assert "unknown placeholder" in broken["error"]


def test_segment_editor_counts_the_audience_live(client, login, session):
    from datetime import UTC, datetime

    from core.consent import app_ledger
    from core.models import Disclosure, MessageType

    campaign(session)
    contact = session.scalars(sa.select(Contact)).one()
    contact.tags = ["vip"]
    kind = session.scalars(sa.select(MessageType).filter_by(slug="marketing")).one()
    disclosure = Disclosure(name="Web", text="Offers. Reply STOP to cancel.")
    session.add(disclosure)
    session.flush()
    from flask import current_app

    app_ledger(current_app, session).opt_in(contact, kind, source="web_form", disclosure=disclosure,
                                            actor="t", occurred_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.commit()
    login("marketing")
    count = client.get("/admin/api/audience-count",
                       query_string={"definition": '{"all": [{"tag": "vip"}]}'}).get_json()
    assert count == {"error": None, "count": 1, "message_type": "marketing"}
    none = client.get("/admin/api/audience-count",
                      query_string={"definition": '{"all": [{"tag": "other"}]}'}).get_json()
    assert none["count"] == 0
    bad = client.get("/admin/api/audience-count",
                     query_string={"definition": '{"all": [{"colour": "red"}]}'}).get_json()
    assert "unknown condition" in bad["error"]


def test_editor_helpers_follow_the_roles(client, login):
    login("support")
    assert client.get("/admin/api/flow-preview?steps=[]&trigger=x").status_code == 403
    assert client.get("/admin/api/audience-count?definition={}").status_code == 403
