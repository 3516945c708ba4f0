"""Hosted opt-in forms: the page, what a submission records (and what bad input does not),
replays, the embed snippet, double opt-in with its Y, expiry, and publishing rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from core.consent import chain
from core.db import utcnow
from core.flows import seeds
from core.keywords.inbound import Inbound, receive
from core.models import (
    Brand,
    Campaign,
    Consent,
    ConsentEvent,
    Contact,
    Disclosure,
    FlowRun,
    FormSnapshot,
    FormSubmission,
    Message,
    MessageType,
    OptInForm,
    Sender,
)

DISCLOSURE = (
    "By submitting this form, you agree to receive recurring automated promotional text "
    "messages from Bloom & Branch Florists at the number provided. Consent is not a condition "
    "of purchase. Msg frequency varies. Msg & data rates may apply. Reply HELP for help and "
    "STOP to cancel.")
SENDER = "+14155550142"
PHONE = "+14155552671"


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL="https://sms.bloom.example", QUEUE_URL="memory")


@pytest.fixture
def world(app, session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  website="https://bloomandbranch.example", support_phone="+14155550100",
                  terms_url="https://bloomandbranch.example/terms",
                  privacy_policy_url="https://bloomandbranch.example/privacy")
    campaign = Campaign(brand=brand, name="Promotions", use_case="MIXED",
                        message_frequency="Up to 4 msgs/mo",
                        opt_in_confirmation="Bloom & Branch: you're subscribed to offers.")
    session.add_all([brand, campaign, Sender(address=SENDER, campaign=campaign)])
    session.flush()
    welcome = seeds.create(session, "Website lead welcome", campaign, enabled=True)
    disclosure = Disclosure(name="Web form", text=DISCLOSURE)
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    form = OptInForm(slug="join", name="Website sign-up", campaign=campaign,
                     disclosure=disclosure, message_types=[types["marketing"],
                                                           types["transactional"]],
                     ask_name=True, ask_email=True, ask_zip=True, flow=welcome,
                     published_at=utcnow())
    session.add_all([disclosure, form])
    session.commit()
    return {"form": form.id, "types": {k: v.id for k, v in types.items()},
            "flow": welcome.id, "campaign": campaign.id}


def page(client, path="/f/join"):
    response = client.get(path)
    html = response.get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]*)"', html)
    return response, html, nonce.group(1) if nonce else None


def submit(client, world, path="/f/join", nonce=None, **fields):
    if nonce is None:
        _, _, nonce = page(client, path)
    data = {"nonce": nonce, "phone": "(415) 555-2671",
            "types": [str(world["types"]["marketing"])], **fields}
    return client.post(path, data=data, headers={"User-Agent": "Mozilla/5.0 (iPhone) Test"})


def count(session, model):
    session.commit()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_page_shows_unticked_boxes_the_disclosure_and_the_brands_links(client, world):
    response, html, nonce = page(client)
    assert response.status_code == 200 and nonce
    assert 'type="checkbox" name="types"' in html and " checked" not in html
    assert "Marketing" in html and "Transactional" in html
    assert "Consent is not a condition of purchase" in html
    assert 'href="https://bloomandbranch.example/terms"' in html
    assert 'href="https://bloomandbranch.example/privacy"' in html
    assert 'name="website"' in html  # the honeypot
    assert '<label for="phone">' in html and 'autocomplete="tel"' in html
    assert "<script" not in html  # works without JavaScript
    assert "Set-Cookie" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/f/nope", "/f/draft"])
def test_an_unknown_or_unpublished_form_is_a_friendly_404(client, session, world, path):
    form = session.get(OptInForm, world["form"])
    session.add(OptInForm(slug="draft", name="Draft", campaign=form.campaign,
                          disclosure=form.disclosure))
    session.commit()
    response = client.get(path)
    assert response.status_code == 404
    assert "This form is not available" in response.get_data(as_text=True)


def test_a_submission_records_one_opt_in_per_ticked_type_with_its_evidence(client, session,
                                                                          world):
    response = submit(client, world, first_name="Ana", zip="94103",
                      types=[str(world["types"]["marketing"]),
                             str(world["types"]["transactional"])])
    assert response.status_code == 200
    assert "signed up" in response.get_data(as_text=True)
    events = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq)).all()
    assert [(e.action, e.message_type.slug, e.source) for e in events] == [
        ("opt_in", "marketing", "web_form"), ("opt_in", "transactional", "web_form")]
    event = events[0]
    assert event.page_url == "http://localhost/f/join"
    assert event.disclosure.text == DISCLOSURE and event.disclosure_hash
    assert event.evidence.user_agent == "Mozilla/5.0 (iPhone) Test"
    assert event.evidence.ip == "127.0.0.1"
    snapshot = session.scalars(sa.select(FormSnapshot)).one()
    assert event.snapshot_hash == snapshot.sha256
    assert chain.event_digest(event) == event.hash  # the snapshot's hash is in the chain
    assert "Consent is not a condition of purchase" in snapshot.html
    assert 'name="nonce" value=""' in snapshot.html  # what every visitor saw, nobody's input
    contact = session.scalars(sa.select(Contact)).one()
    assert (contact.phone, contact.first_name, contact.postal_code) == (PHONE, "Ana", "94103")
    run = session.scalars(sa.select(FlowRun)).one()  # the lead welcome started
    assert run.flow_id == world["flow"]
    welcome = session.scalars(sa.select(Message).where(Message.flow_id == world["flow"])).one()
    assert welcome.body.startswith("Bloom & Branch: thanks for reaching out!")
    assert "/l/" in welcome.body  # the preference link
    assert chain.verify(session).ok


def test_the_same_submission_twice_records_one_opt_in(client, session, world):
    _, _, nonce = page(client)
    first = submit(client, world, nonce=nonce)
    second = submit(client, world, nonce=nonce)
    assert first.status_code == second.status_code == 200
    assert "signed up" in second.get_data(as_text=True)
    assert count(session, ConsentEvent) == 1
    assert count(session, FormSubmission) == 1
    assert count(session, FlowRun) == 1


BAD = [
    ({"phone": ""}, "phone", "Enter your mobile number"),
    ({"phone": "555-CALL-NOW"}, "phone", "not a valid phone number"),
    ({"phone": "12"}, "phone", "not a valid phone number"),
    ({"phone": "(800) 555-1234"}, "phone", "toll-free"),
    ({"phone": "+44 20 7946 0000"}, "phone", "landline"),
    ({"phone": "+1 900 555 1234"}, "phone", "premium-rate"),
    ({"types": []}, "types", "Tick at least one box"),
    ({"types": ["999"]}, "types", "Tick at least one box"),  # a type the form does not offer
    ({"types": ["marketing"]}, "types", "Tick at least one box"),
    ({"zip": "ABCDE"}, "zip", "not a US ZIP code"),
    ({"email": "not-an-email"}, "email", "does not look right"),
    ({"website": "http://spam.example"}, "form", "could not be accepted"),  # honeypot
    ({"nonce": "forged"}, "form", "out of date"),
    ({"nonce": ""}, "form", "out of date"),
]


@pytest.mark.parametrize(("fields", "where", "says"), BAD)
def test_bad_input_gets_a_clear_message_and_records_nothing(client, session, world, fields,
                                                            where, says):
    response = submit(client, world, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert says in html
    if where != "form":
        assert f'id="{where}-error"' in html or where == "types"
    for model in (Contact, ConsentEvent, FormSubmission, FlowRun, Message):
        assert count(session, model) == 0, model
    assert 'name="nonce" value="' in html  # the form is shown again, ready to resend


def test_a_bad_field_keeps_what_the_person_typed(client, world):
    html = submit(client, world, phone="555", first_name="Ana").get_data(as_text=True)
    assert 'value="555"' in html and 'value="Ana"' in html
    assert f'value="{world["types"]["marketing"]}" checked' in html


def test_a_form_changed_while_open_asks_to_check_it_again(client, session, world):
    _, _, nonce = page(client)
    form = session.get(OptInForm, world["form"])
    form.heading = "Now with a different heading"
    session.commit()
    response = submit(client, world, nonce=nonce)
    assert response.status_code == 422
    assert "changed while you had it open" in response.get_data(as_text=True)
    assert count(session, ConsentEvent) == 0
    assert submit(client, world).status_code == 200  # the new page works


def test_an_undeliverable_number_is_refused(client, session, world):
    session.add(Contact(phone=PHONE))
    session.commit()
    contact = session.scalars(sa.select(Contact)).one()
    session.execute(sa.update(Contact).values(undeliverable_at=utcnow(),
                                              undeliverable_code="30006"))
    session.commit()
    response = submit(client, world)
    assert response.status_code == 422 and "cannot receive texts" in response.get_data(as_text=True)
    assert count(session, ConsentEvent) == 0
    assert contact.id


def test_the_snippet_embeds_the_form_and_the_proof_records_the_host_page(client, session,
                                                                       world):
    script = client.get("/f/join/embed.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    body = script.get_data(as_text=True)
    assert "/f/join?embed=1" in body and "encodeURIComponent(location.href)" in body
    host = "https://bloomandbranch.example/spring?utm=1"
    response, html, nonce = page(client, f"/f/join?embed=1&host={host}")
    assert f'name="host" value="{host}"' in html.replace("&amp;", "&")
    assert "frame.js" in html
    assert client.get("/f/frame.js").status_code == 200
    posted = client.post("/f/join?embed=1", data={
        "nonce": nonce, "host": host, "phone": "4155552671",
        "types": [str(world["types"]["marketing"])]})
    assert posted.status_code == 200
    event = session.scalars(sa.select(ConsentEvent)).one()
    assert event.host_page_url == host
    assert event.page_url == "http://localhost/f/join?embed=1"
    assert chain.event_digest(event) == event.hash


def test_a_host_that_is_not_a_web_address_is_not_recorded(client, session, world):
    _, html, nonce = page(client, "/f/join?embed=1&host=javascript:alert(1)")
    assert 'name="host" value=""' in html
    client.post("/f/join?embed=1", data={"nonce": nonce, "host": "javascript:alert(1)",
                                         "phone": "4155552671",
                                         "types": [str(world["types"]["marketing"])]})
    assert session.scalars(sa.select(ConsentEvent)).one().host_page_url is None


def test_submissions_are_limited_per_address(make_app, session):
    app = make_app(FORM_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/f/nope", data={}).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert client.get("/f/nope").status_code == 404  # reading the page is not limited


# Double opt-in.

@pytest.fixture
def double(session, world):
    form = session.get(OptInForm, world["form"])
    form.double_opt_in = True
    session.commit()
    return world


def reply(session, body, message_id, at=None, phone=PHONE):
    outcome = receive(session, current_app, Inbound(phone, SENDER, body, "sandbox", message_id,
                                                    at or utcnow()))
    session.commit()
    return outcome


def marketing_state(session):
    return session.scalar(sa.select(Consent.state).join(MessageType).where(
        MessageType.slug == "marketing"))


def test_double_opt_in_asks_once_and_records_nothing_until_the_reply(client, session, double):
    response = submit(client, double)
    html = response.get_data(as_text=True)
    assert "Check your phone" in html and "Reply Y" in html
    assert count(session, ConsentEvent) == 0 and count(session, FlowRun) == 0
    asked = session.scalars(sa.select(Message)).one()
    assert asked.status == "queued" and asked.compliance_reply
    assert asked.body.startswith("Bloom & Branch: reply Y to confirm you want marketing texts")
    assert "STOP" in asked.body
    submission = session.scalars(sa.select(FormSubmission)).one()
    assert submission.status == "pending"
    assert submission.expires_at - submission.submitted_at == timedelta(hours=24)
    # Asking again before answering sends nothing more.
    submit(client, double)
    assert count(session, Message) == 1 and count(session, FormSubmission) == 2


@pytest.mark.parametrize("answer", ["Y", "y", "Yes", "YES!", " yes ", "Sí", "ok"])
def test_the_reply_y_records_the_opt_in_proven_by_both_steps(client, session, double, answer):
    submit(client, double, first_name="Ana")
    outcome = reply(session, answer, "SM-Y")
    assert marketing_state(session) == "opted_in"
    event = session.scalars(sa.select(ConsentEvent)).one()
    assert event.source == "web_form" and event.evidence.keyword_text == answer
    assert event.provider_message_id == "SM-Y"
    assert "double opt-in: submitted" in event.source_detail
    assert event.evidence.user_agent == "Mozilla/5.0 (iPhone) Test"  # from the submission
    assert event.snapshot_hash
    submission = session.scalars(sa.select(FormSubmission)).one()
    assert submission.status == "confirmed" and submission.confirm_message_id
    assert outcome.reply is not None and "subscribed" in outcome.reply.body
    assert count(session, FlowRun) == 1  # the welcome starts now
    from core.consent import proof

    document = proof.build(session, PHONE, current_app.config["SUPPRESSION_KEY"])
    step = document["form_submissions"][0]["double_opt_in"]
    assert step["question"].startswith("Bloom & Branch: reply Y") and step["answer"] == answer
    assert document["events"][0]["form_snapshot"]["matches"]


def test_an_unconfirmed_request_expires_and_a_late_y_starts_nothing(client, session, double):
    from core.worker import sweep

    submit(client, double)
    submitted = session.scalars(sa.select(FormSubmission)).one().submitted_at
    session.commit()
    done = sweep(current_app, submitted + timedelta(hours=24, minutes=1))
    assert done["form_requests_expired"] == 1
    reply(session, "Y", "SM-late", at=submitted + timedelta(hours=25))
    assert marketing_state(session) is None
    assert session.scalars(sa.select(FormSubmission)).one().status == "expired"
    assert count(session, Message.__table__) == 2  # the question and the late Y; no answer


def test_stop_while_waiting_withdraws_the_request(client, session, double):
    submit(client, double)
    reply(session, "STOP", "SM-stop")
    assert session.scalars(sa.select(FormSubmission)).one().status == "cancelled"
    reply(session, "Y", "SM-y")
    assert marketing_state(session) == "opted_out"


def test_a_y_from_someone_else_confirms_nothing(client, session, double):
    submit(client, double)
    reply(session, "Y", "SM-other", phone="+12125550199")
    assert count(session, ConsentEvent) == 0


def test_some_other_reply_leaves_the_request_waiting(client, session, double):
    submit(client, double)
    reply(session, "what is this?", "SM-q")
    assert session.scalars(sa.select(FormSubmission)).one().status == "pending"
    reply(session, "Y", "SM-y")
    assert marketing_state(session) == "opted_in"


# Publishing.

def test_publishing_refuses_a_form_whose_disclosure_lacks_elements_and_says_which(
        client, login, session, world):
    weak = Disclosure(name="Weak", text="Get texts from Bloom & Branch!")
    form = OptInForm(slug="weak", name="Weak form", campaign=session.get(Campaign,
                                                                         world["campaign"]),
                     disclosure=weak, message_types=[session.get(MessageType,
                                                                 world["types"]["marketing"])])
    session.add_all([weak, form])
    session.commit()
    login("marketing")
    response = client.post("/admin/optinform/action/", data={
        "action": "publish", "rowid": [str(form.id)]}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "is not published" in html
    for element in ("how often", "Msg &amp; data rates may apply",
                    "Consent is not a condition of purchase", "how to opt out"):
        assert element in html, element
    session.refresh(form)
    assert form.published_at is None
    assert client.get("/f/weak").status_code == 404


def test_a_published_forms_disclosure_cannot_be_swapped_for_a_weak_one(client, login,
                                                                        session, world):
    weak = Disclosure(name="Weak", text="Texts from Bloom & Branch.")
    session.add(weak)
    session.commit()
    login("marketing")
    form = session.get(OptInForm, world["form"])
    response = client.post(f"/admin/optinform/edit/?id={form.id}", data={
        "name": form.name, "slug": form.slug, "campaign": str(world["campaign"]),
        "message_types": [str(world["types"]["marketing"])], "disclosure": str(weak.id),
        "flow": str(world["flow"])}, follow_redirects=True)
    assert "Unpublish it first" in response.get_data(as_text=True)
    session.refresh(form)
    assert form.disclosure.text == DISCLOSURE


def test_marketing_builds_a_form_and_sees_the_preview_and_the_snippet(client, login, session,
                                                                      world):
    login("marketing")
    disclosure = session.scalars(sa.select(Disclosure)).first()
    response = client.post("/admin/optinform/new/", data={
        "name": "Spring offers", "slug": "spring", "campaign": str(world["campaign"]),
        "message_types": [str(world["types"]["marketing"])],
        "disclosure": str(disclosure.id), "ask_name": "y", "flow": str(world["flow"])})
    assert response.status_code == 302
    form = session.scalars(sa.select(OptInForm).filter_by(slug="spring")).one()
    assert form.published_at is None  # a draft until published
    preview = client.get(f"/admin/optinform/preview/?campaign={world['campaign']}"
                         f"&disclosure={disclosure.id}&message_types="
                         f"{world['types']['marketing']}&heading=Spring")
    assert preview.status_code == 200 and "Spring" in preview.get_data(as_text=True)
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    share = client.get(f"/admin/optinform/share/?id={form.id}").get_data(as_text=True)
    assert "/f/spring/embed.js" in share and "/f/spring/paper" in share
    client.post("/admin/optinform/action/", data={"action": "publish",
                                                  "rowid": [str(form.id)]})
    session.refresh(form)
    assert form.published_at is not None
    assert client.get("/f/spring").status_code == 200


@pytest.mark.parametrize("slug", ["a", "Has Spaces", "-dash", "ünïcode", "ends-"])
def test_a_form_address_must_be_plain(client, login, session, world, slug):
    login("marketing")
    disclosure = session.scalars(sa.select(Disclosure)).first()
    response = client.post("/admin/optinform/new/", data={
        "name": "Bad", "slug": slug, "campaign": str(world["campaign"]),
        "message_types": [str(world["types"]["marketing"])], "disclosure": str(disclosure.id)})
    assert response.status_code == 200
    assert "lower-case letters, digits or dashes" in response.get_data(as_text=True)


def test_support_can_read_forms_but_not_build_them(client, login, world):
    login("support")
    assert client.get("/admin/optinform/").status_code == 200
    assert client.get("/admin/optinform/new/").status_code == 403


# Consent that cannot be proven.

@pytest.mark.parametrize("source", ["verbal", "Verbal", "phone_call", "call"])
def test_verbal_consent_is_refused_with_the_reason(app, session, world, source):
    from core.consent import app_ledger
    from core.consent.ledger import ConsentRefused

    contact = Contact(phone=PHONE)
    session.add(contact)
    session.flush()
    with pytest.raises(ConsentRefused, match="ask the person to text the campaign's keyword"):
        app_ledger(app, session).opt_in(
            contact, session.get(MessageType, world["types"]["marketing"]), source=source,
            disclosure=session.scalars(sa.select(Disclosure)).first(),
            occurred_at=datetime(2026, 11, 1, tzinfo=UTC), actor="support")


def test_a_keyword_campaign_whose_first_reply_lacks_the_frequency_is_refused(client, login,
                                                                             session, world):
    login("marketing")
    campaign = session.get(Campaign, world["campaign"])
    response = client.post(f"/admin/campaign/edit/?id={campaign.id}", data={
        "brand": str(campaign.brand_id), "name": campaign.name, "use_case": "MIXED",
        "opt_in_keywords": "JOIN, FLOWERS", "message_frequency": "",
        "opt_in_confirmation": "Bloom & Branch: you're subscribed to offers.",
        "status": "draft"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "would lack how often messages come" in html, re.findall(r'invalid-feedback[^<]*<', html)


def test_campaign_keywords_and_samples_are_words_and_lines_not_json(client, login, session,
                                                                    world):
    login("marketing")
    campaign = session.get(Campaign, world["campaign"])
    response = client.post(f"/admin/campaign/edit/?id={campaign.id}", data={
        "brand": str(campaign.brand_id), "name": campaign.name, "use_case": "MIXED",
        "opt_in_keywords": "JOIN, FLOWERS, join", "message_frequency": "Up to 4 msgs/mo",
        "sample_messages": "Bloom & Branch: 20% off. Reply STOP to opt out.\n\nSecond one",
        "opt_in_confirmation": "Bloom & Branch: you're subscribed to offers.",
        "status": "draft"})
    assert response.status_code == 302
    session.refresh(campaign)
    assert campaign.opt_in_keywords == ["JOIN", "FLOWERS", "join"]
    assert campaign.sample_messages == ["Bloom & Branch: 20% off. Reply STOP to opt out.",
                                        "Second one"]
    listing = client.get("/admin/campaign/").get_data(as_text=True)
    assert "JOIN, FLOWERS" in listing and '["JOIN"' not in listing
