"""The drift watch: a registration frozen when it is submitted or approved, and changes that
make it untrue flagged on the campaign and the dashboard until someone re-reviews it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import dashboard, demo
from core.db import utcnow
from core.flows import seeds
from core.models import AuditLog, Campaign, Disclosure, Flow, OptInForm, RegistrationVersion
from core.models.append_only import AppendOnlyError
from core.registration import drift


@pytest.fixture
def registered(app, session):
    """The demo's campaign, registered for appointment reminders only, approved."""
    demo.load(app, contacts=3)
    campaign = session.scalars(sa.select(Campaign)).one()
    assert drift.changes(session, app, campaign) == []  # the demo froze it as approved
    for flow in session.scalars(sa.select(Flow)):
        flow.enabled = flow.name == "Appointment confirmation"
    campaign.use_case = "ACCOUNT_NOTIFICATION"
    drift.freeze(session, app, campaign, "re-reviewed", "admin@bloomandbranch.example")
    session.commit()
    assert drift.changes(session, app, campaign) == []
    return campaign


def test_a_new_marketing_flow_on_an_appointment_campaign_makes_it_untrue(app, session,
                                                                          registered):
    session.scalars(sa.select(Flow).filter_by(name="Promotional campaign")).one().enabled = True
    session.flush()
    changes = drift.changes(session, app, registered)
    assert [c.what for c in changes] == ["flow"]
    assert changes[0].untrue and "marketing" in changes[0].detail
    flagged = drift.flagged(session, app)
    assert [c.id for c, _ in flagged] == [registered.id]
    board = dashboard.build(session, app, utcnow())
    assert any("registration" in text.lower() and registered.name in text
               for text, _, _ in board.attention)


def test_a_new_keyword_a_changed_disclosure_and_an_unpublished_form_are_flagged(app, session,
                                                                                 registered):
    registered.opt_in_keywords = [*registered.opt_in_keywords, "ROSES"]
    form = session.scalars(sa.select(OptInForm)).one()
    form.disclosure = Disclosure(name=form.disclosure.name, version=2,
                                 text=form.disclosure.text + " Now with partners.")
    session.flush()
    details = [c.detail for c in drift.changes(session, app, registered)]
    assert any("ROSES" in d for d in details)
    assert any("consent text" in d and "v1 → " in d and "v2" in d for d in details)
    assert any("opt in keywords was edited" in d for d in details)
    form.published_at = None
    session.flush()
    assert any("no longer published" in c.detail for c in drift.changes(session, app,
                                                                        registered))


def test_re_review_clears_the_flag_and_keeps_every_version(app, session, registered):
    registered.message_frequency = "Up to 8 messages per month"
    session.flush()
    assert drift.changes(session, app, registered)
    drift.freeze(session, app, registered, "re-reviewed", "ops@bloomandbranch.example")
    assert drift.changes(session, app, registered) == []
    versions = session.scalars(sa.select(RegistrationVersion).order_by(
        RegistrationVersion.id)).all()
    assert [v.reason for v in versions] == ["approved", "re-reviewed", "re-reviewed"]
    assert versions[-1].fields["message_frequency"] == "Up to 8 messages per month"


def test_a_draft_campaign_is_not_watched(app, session, registered):
    registered.status = "draft"
    seeds.create(session, "Promotional campaign", registered).enabled = True
    session.flush()
    assert drift.changes(session, app, registered) == []


def test_versions_are_append_only(app, session, registered):
    version = drift.latest(session, registered)
    version.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    with pytest.raises(sa.exc.DatabaseError):
        session.execute(sa.text("UPDATE registration_version SET actor = 'x'"))
    session.rollback()
    with pytest.raises(sa.exc.DatabaseError):
        session.execute(sa.text("DELETE FROM registration_version"))
    session.rollback()


def test_marking_a_campaign_submitted_in_the_admin_freezes_it(app, client, login, session):
    from core.models import Brand

    email = login("admin")
    brand = Brand(legal_name="Acme Dental PLLC", public_name="Acme Dental")
    campaign = Campaign(brand=brand, name="Reminders", use_case="ACCOUNT_NOTIFICATION")
    session.add_all([brand, campaign])
    session.commit()
    response = client.post(f"/admin/campaign/edit/?id={campaign.id}", data={
        "brand": str(brand.id), "name": "Reminders", "use_case": "ACCOUNT_NOTIFICATION",
        "status": "submitted"})
    assert response.status_code == 302, response.data
    version = session.scalars(sa.select(RegistrationVersion)).one()
    assert (version.reason, version.actor, version.campaign_id) == ("submitted", email,
                                                                    campaign.id)
    # Saving again without a status change writes no new version.
    client.post(f"/admin/campaign/edit/?id={campaign.id}", data={
        "brand": str(brand.id), "name": "Reminders 2", "use_case": "ACCOUNT_NOTIFICATION",
        "status": "submitted"})
    assert session.scalar(sa.select(sa.func.count(RegistrationVersion.id))) == 1


def test_re_review_from_the_readiness_page(app, client, session, registered):
    assert client.post("/login", data={"email": "marketing@bloomandbranch.example",
                                       "password": demo.PASSWORD}).status_code == 302
    session.scalars(sa.select(Flow).filter_by(name="Promotional campaign")).one().enabled = True
    session.commit()
    page = client.get(f"/admin/readiness/{registered.id}").get_data(as_text=True)
    assert "Makes the registration untrue" in page and "I re-reviewed it" in page
    response = client.post(f"/admin/readiness/{registered.id}/review")
    assert response.status_code == 302
    page = client.get(f"/admin/readiness/{registered.id}").get_data(as_text=True)
    assert "The records match the registration re-reviewed" in page
    assert session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
        AuditLog.model == "RegistrationVersion")) == 1


def test_the_campaign_list_marks_a_drifted_registration(app, client, session, registered):
    assert client.post("/login", data={"email": "admin@bloomandbranch.example",
                                       "password": demo.PASSWORD}).status_code == 302
    assert "since registration" not in client.get("/admin/campaign/").get_data(as_text=True)
    registered.opt_in_keywords = [*registered.opt_in_keywords, "ROSES"]
    session.commit()
    assert "change(s) since registration" in client.get("/admin/campaign/").get_data(
        as_text=True)
