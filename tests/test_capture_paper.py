"""Paper and in-store consent: a signed form's scan recorded as the opt-ins it proves, the
file kept and hashed into the chain, shown on the proof, blanked on erasure; the printable
form and its image."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import sqlalchemy as sa
from flask import current_app

from core.capture import paper
from core.consent import chain, proof
from core.db import utcnow
from core.models import (
    Brand,
    Campaign,
    ConsentDocument,
    ConsentEvent,
    Contact,
    Disclosure,
    MessageType,
    OptInForm,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DISCLOSURE = (
    "By signing, you agree to receive recurring automated promotional text messages from "
    "Bloom & Branch Florists at the number provided. Consent is not a condition of purchase. "
    "Msg frequency varies. Msg & data rates may apply. Reply HELP for help and STOP to cancel.")


@pytest.fixture
def world(session):
    brand = Brand(legal_name="Bloom & Branch Florists LLC", public_name="Bloom & Branch",
                  address="500 Market St, San Francisco, CA 94105",
                  terms_url="https://bloomandbranch.example/terms",
                  privacy_policy_url="https://bloomandbranch.example/privacy")
    campaign = Campaign(brand=brand, name="In store", use_case="MIXED")
    disclosure = Disclosure(name="Paper form", text=DISCLOSURE)
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    form = OptInForm(slug="in-store", name="In-store sign-up", campaign=campaign,
                     disclosure=disclosure, message_types=[types["marketing"],
                                                           types["transactional"]],
                     published_at=utcnow())
    session.add_all([brand, campaign, disclosure, form])
    session.commit()
    return {"disclosure": disclosure.id, "campaign": campaign.id,
            "types": {k: v.id for k, v in types.items()}}


def upload(client, world, data=PDF, name="signed.pdf", **fields):
    form = {"scan": (io.BytesIO(data), name), "phone": "(212) 555-0123", "first_name": "Ana",
            "types": [str(world["types"]["marketing"])], "signed_on": "2026-11-28",
            "disclosure": str(world["disclosure"]), "campaign": str(world["campaign"]),
            "note": "signed at the Market St shop", **fields}
    return client.post("/admin/paperconsent/", data=form, content_type="multipart/form-data",
                       follow_redirects=True)


@pytest.mark.parametrize(("data", "kind"), [(PDF, "application/pdf"), (PNG, "image/png"),
                                            (JPEG, "image/jpeg")])
def test_a_signed_scan_is_recorded_as_opt_ins_proven_by_its_hash(client, login, session, world,
                                                                 data, kind):
    login("support")
    response = upload(client, world, data=data, name=f"scan.{kind.split('/')[1]}",
                      types=[str(world["types"]["marketing"]),
                             str(world["types"]["transactional"])])
    assert response.status_code == 200
    assert "Recorded 2 opt-in(s)" in response.get_data(as_text=True)
    events = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.seq)).all()
    digest = hashlib.sha256(data).hexdigest()
    assert [(e.source, e.message_type.slug) for e in events] == [
        ("paper_form", "marketing"), ("paper_form", "transactional")]
    assert all(e.document_hash == digest and chain.event_digest(e) == e.hash for e in events)
    assert events[0].occurred_at.date().isoformat() == "2026-11-28"
    assert "signed at the Market St shop" in events[0].source_detail
    assert events[0].actor == "support@bloomandbranch.example"
    document = session.scalars(sa.select(ConsentDocument)).one()
    assert (document.content_type, document.size) == (kind, len(data))
    shown = client.get(f"/admin/paperconsent/document/{digest}")
    assert shown.status_code == 200 and shown.data == data and shown.mimetype == kind
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    assert chain.verify(session).ok


@pytest.mark.parametrize(("data", "name", "says"), [
    (b"just some text, not a scan", "scan.pdf", "not a PDF, JPEG or PNG"),
    (b"<html><script>alert(1)</script>", "scan.png", "not a PDF, JPEG or PNG"),
    (b"GIF89a" + b"\x00" * 10, "scan.gif", "not a PDF, JPEG or PNG"),
    (b"", "empty.pdf", "The file is empty"),
])
def test_a_file_that_is_not_a_scan_is_refused_by_its_content(client, login, session, world,
                                                             data, name, says):
    login("support")
    html = upload(client, world, data=data, name=name).get_data(as_text=True)
    assert says in html
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentDocument)) == 0


def test_a_scan_over_the_limit_is_refused(client, login, session, world, monkeypatch):
    monkeypatch.setattr(paper, "MAX_BYTES", 100)
    login("support")
    html = upload(client, world, data=PDF + b"x" * 200).get_data(as_text=True)
    assert "the limit is" in html
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 0


@pytest.mark.parametrize(("fields", "says"), [
    ({"phone": "555"}, "valid phone number"),
    ({"signed_on": "2999-01-01"}, "cannot be signed in the future"),
    ({"types": []}, "Tick what the person ticked"),
])
def test_bad_fields_record_nothing(client, login, session, world, fields, says):
    login("support")
    html = upload(client, world, **fields).get_data(as_text=True)
    assert says in html
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 0


def test_ticking_one_box_of_several_is_allowed_by_the_browser(client, login, world):
    """A ``required`` on each box of a group makes a browser demand every box: none has it."""
    login("support")
    html = client.get("/admin/paperconsent/").get_data(as_text=True)
    boxes = re.findall(r"<input[^>]*type=\"checkbox\"[^>]*>", html)
    assert len(boxes) >= 2 and not [box for box in boxes if "required" in box]


def test_the_same_scan_is_stored_once(client, login, session, world):
    login("support")
    upload(client, world)
    upload(client, world, phone="(212) 555-0124")
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentDocument)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 2


def test_roles_without_paper_rights_cannot_record(client, login, world):
    login("operations")
    assert client.get("/admin/paperconsent/").status_code == 403


def test_the_proof_shows_the_scan_and_erasure_removes_it(client, login, session, world):
    from core.consent.maintenance import erase_contact

    login("support")
    upload(client, world, data=PNG, name="photo.png")
    document = proof.build(session, "+12125550123", current_app.config["SUPPRESSION_KEY"])
    scan = document["events"][0]["document"]
    assert scan["matches"] and scan["content_type"] == "image/png"
    html = proof.render_html(document)
    assert "Signed paper form" in html and "data:image/png;base64," in html
    contact = session.scalars(sa.select(Contact)).one()
    erase_contact(session, contact, "admin@bloomandbranch.example")
    session.commit()
    kept = session.scalars(sa.select(ConsentDocument)).one()
    session.refresh(kept)
    assert kept.data is None and kept.sha256 == hashlib.sha256(PNG).hexdigest()
    event = session.scalars(sa.select(ConsentEvent)).one()
    assert event.document_hash == kept.sha256 and chain.verify(session).ok


def test_the_printable_form_and_its_image_carry_the_disclosure(client, world):
    page = client.get("/f/in-store/paper").get_data(as_text=True)
    assert "Text messages from Bloom &amp; Branch" in page
    assert "Consent is not a condition of purchase" in page and "Signature" in page
    assert "https://bloomandbranch.example/terms" in page
    image = client.get("/f/in-store/paper.svg")
    assert image.mimetype == "image/svg+xml"
    svg = image.get_data(as_text=True)
    assert svg.startswith("<svg") and "Bloom &amp; Branch" in svg and "Signature" in svg
    assert "Consent is not a condition of" in svg
    assert client.get("/f/unknown/paper").status_code == 404
