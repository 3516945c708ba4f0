"""The keyword and gate simulators, on the command line and in the admin."""

import json

import sqlalchemy as sa


def test_keywords_classify_prints_class_and_reply(runner):
    result = runner.invoke(["keywords", "classify", "stop 🛑", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["class"] == "opt_out"
    assert data["reply"].endswith("will receive no further text messages from this program. "
                                  "Reply HELP for help.")


def test_keywords_classify_review_has_no_reply(runner):
    result = runner.invoke(["keywords", "classify", "Cancel it"])
    assert result.exit_code == 0
    assert "class:   review" in result.output and "reply:   (none)" in result.output


def test_keywords_classify_unknown_campaign_is_a_clear_error(runner):
    result = runner.invoke(["keywords", "classify", "JOIN", "--campaign", "99"])
    assert result.exit_code != 0 and "No campaign with id 99" in result.output


def test_gate_check_defers_in_quiet_hours(runner, session):
    runner.invoke(["demo", "--contacts", "5"])
    from core.models import Consent, Contact, MessageType

    opted_in = session.scalars(
        sa.select(Contact).join(Consent).join(MessageType)
        .where(MessageType.slug == "transactional", Consent.state == "opted_in")).first()
    phone = opted_in.phone
    session.commit()
    result = runner.invoke(["gate", "check", phone, "--type", "transactional",
                            "--at", "2026-11-23T23:30:00-05:00", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["decision"] == "allow"  # transactional is exempt from quiet hours
    assert data["local_time"] is not None


def test_gate_check_reports_every_reason(runner):
    runner.invoke(["demo", "--contacts", "3"])
    result = runner.invoke(["gate", "check", "+13055550199", "--type", "marketing",
                            "--at", "2026-11-23T12:00:00-05:00", "--body", "Big sale at bit.ly/x"])
    assert result.exit_code == 0
    for code in ("no_consent", "brand_missing", "opt_out_language_missing", "public_shortener"):
        assert code in result.output


def test_gate_check_refuses_bad_input_clearly(runner):
    runner.invoke(["demo", "--contacts", "3"])
    bad_phone = runner.invoke(["gate", "check", "12", "--type", "marketing"])
    assert bad_phone.exit_code != 0 and "not a valid phone number" in bad_phone.output
    bad_type = runner.invoke(["gate", "check", "+13055550199", "--type", "spam"])
    assert "No message type 'spam'" in bad_type.output
    naive = runner.invoke(["gate", "check", "+13055550199", "--type", "marketing",
                           "--at", "2026-11-23T12:00:00"])
    assert "needs a time zone" in naive.output


def test_admin_simulator_pages(client, login, session):
    from core.models import Sender

    session.add(Sender(address="+14155550142"))
    session.commit()
    login("support")
    page = client.get("/admin/simulators/?text=Please+stop+texting+me")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "opt_out" in body and "revocation" in body
    gate = client.get("/admin/simulators/?phone=%2B13055550199&type=marketing"
                      "&at=2026-11-23T12%3A00%3A00-05%3A00").get_data(as_text=True)
    assert "no_consent" in gate
    bad = client.get("/admin/simulators/?phone=12&type=marketing").get_data(as_text=True)
    assert "not a valid phone number" in bad


