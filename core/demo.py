"""Demo data: one brand, its campaign and sender, disclosures, staff logins, contacts with histories.

Deterministic (a fixed random seed) so screenshots and tests see the same data.
Every consent change goes through the ledger, exactly as real traffic would.
"""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from core.consent import Evidence, app_ledger
from core.db import db, utcnow
from core.flows import seeds
from core.gate.check import Outgoing, gate_for
from core.models import (
    Brand,
    Campaign,
    Contact,
    Disclosure,
    MessageType,
    OptInForm,
    Sender,
    User,
)
from core.phone import InvalidPhone, to_e164
from core.security import create_user
from core.sending import outbox

PASSWORD = "consentdesk-demo"
USERS = (
    ("admin@bloomandbranch.example", "admin"),
    ("marketing@bloomandbranch.example", "marketing"),
    ("support@bloomandbranch.example", "support"),
    ("operations@bloomandbranch.example", "operations"),
)
AREA_CODES = ("212", "305", "312", "415", "512", "602", "206", "617", "404", "720")
FIRST_NAMES = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal")
LAST_NAMES = ("Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Ito", "Silva")
BROWSERS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
)

MARKETING_TEXT = (
    "By submitting this form, you agree to receive recurring automated promotional text "
    "messages from Bloom & Branch Florists at the number provided. Consent is not a condition "
    "of purchase. Msg frequency varies. Msg & data rates may apply. Reply HELP for help and "
    "STOP to cancel. See our Terms https://bloomandbranch.example/terms and Privacy Policy "
    "https://bloomandbranch.example/privacy."
)
TRANSACTIONAL_TEXT = (
    "I agree to receive order and appointment text messages from Bloom & Branch Florists. "
    "Msg frequency varies. Msg & data rates may apply. Reply HELP for help and STOP to cancel."
)


# The first contacts' histories go through the ledger one call at a time, as live traffic
# does; past them, a large demo goes through the CSV import's bulk path (same chain, same
# derived states, same suppression), so 100,000 contacts load in well under a minute.
ONE_BY_ONE = 200


def load(app: Flask, contacts: int = 200, seed: int = 7) -> bool:
    """Load the demo once; return False if it is already there."""
    session = db.session
    if session.scalar(sa.select(Brand.id).where(Brand.public_name == "Bloom & Branch")):
        return False
    for email, role in USERS:
        create_user(app, email, PASSWORD, [role])
    brand, campaign = _brand_and_campaign(session)
    types = {t.slug: t for t in session.scalars(sa.select(MessageType))}
    _staff_phone(app, session, types)
    marketing_disclosure = Disclosure(name="Website marketing opt-in", text=MARKETING_TEXT)
    transactional_disclosure = Disclosure(name="Checkout order updates", text=TRANSACTIONAL_TEXT)
    session.add_all([marketing_disclosure, transactional_disclosure])
    session.flush()
    ledger = app_ledger(app, session)
    rng = random.Random(seed)
    now = utcnow()
    seen: set[str] = {STAFF_PHONE}
    for contact in _contacts(rng, min(contacts, ONE_BY_ONE), seen):
        session.add(contact)
        session.flush()
        joined = now - timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 1440))
        browser = Evidence(
            ip=f"203.0.113.{rng.randint(1, 254)}",
            user_agent=rng.choice(BROWSERS),
            page_url="https://bloomandbranch.example/checkout",
        )
        ledger.opt_in(contact, types["transactional"], source="web_form",
                      disclosure=transactional_disclosure, occurred_at=joined,
                      actor="web form", evidence=browser, campaign_id=campaign.id)
        roll = rng.random()
        if roll < 0.6:
            later = min(joined + timedelta(hours=rng.randint(0, 72)), now)
            if rng.random() < 0.5:
                ledger.opt_in(contact, types["marketing"], source="keyword",
                              disclosure=marketing_disclosure, occurred_at=later,
                              actor="inbound SMS", source_detail="JOIN",
                              evidence=Evidence(keyword_text="JOIN"), campaign_id=campaign.id)
            else:
                ledger.opt_in(contact, types["marketing"], source="web_form",
                              disclosure=marketing_disclosure, occurred_at=later,
                              actor="web form", evidence=browser, campaign_id=campaign.id)
        if roll < 0.1:
            ledger.opt_out(contact, None, source="keyword", actor="inbound SMS",
                           occurred_at=min(joined + timedelta(days=rng.randint(4, 30)), now),
                           source_detail="STOP", evidence=Evidence(keyword_text="STOP"))
        elif roll < 0.15:
            ledger.opt_out(contact, types["marketing"], source="admin",
                           actor="support@bloomandbranch.example",
                           occurred_at=min(joined + timedelta(days=rng.randint(4, 30)), now),
                           source_detail="phone call: asked for no more promotions")
    session.flush()
    if contacts > ONE_BY_ONE:
        _bulk_contacts(app, session, rng, contacts - ONE_BY_ONE, seen, now)
    flows = {seed["name"]: seeds.create(session, seed["name"], campaign, enabled=True)
             for seed in seeds.SEED_FLOWS}  # the four ready-made flows, live
    _opt_in_form(session, campaign, marketing_disclosure, types["marketing"],
                 flows["Website lead welcome"])
    _register(app, session, campaign)
    _order_updates(app, session, types["transactional"], now)
    session.commit()  # the commit hands the order updates to the queue (the worker sends them)
    return True


FORM_SLUG = "join"


def _opt_in_form(session, campaign, disclosure, marketing, welcome) -> OptInForm:
    """The website's sign-up form, published, with double opt-in: a reply Y confirms."""
    form = OptInForm(slug=FORM_SLUG, name="Website sign-up", campaign=campaign,
                     disclosure=disclosure, message_types=[marketing],
                     heading="Get Bloom & Branch offers by text", ask_name=True,
                     ask_email=False, ask_zip=True, double_opt_in=True, flow=welcome,
                     thank_you="Thank you! Watch for our first text.", published_at=utcnow())
    session.add(form)
    session.flush()
    return form


def _register(app, session, campaign) -> None:
    """The campaign's registration written from what the demo really has (its form, its
    keywords, its flows), frozen as the approved version the drift watch compares with."""
    from core.registration import drift, generate

    generate.apply(session, app, campaign, ["description", "message_flow", "call_to_action",
                                            "sample_messages", "sms_terms", "privacy_clause"])
    drift.freeze(session, app, campaign, "approved", "demo")


STAFF_PHONE = "+14155550123"  # the owner's own phone: where "Send a test" goes


def _staff_phone(app, session, types) -> None:
    """The owner's phone, opted in to everything on a signed staff form, as the number the
    admin and marketing logins send tests to."""
    for email in ("admin@bloomandbranch.example", "marketing@bloomandbranch.example"):
        session.scalars(sa.select(User).filter_by(email=email)).one().phone = STAFF_PHONE
    contact = Contact(phone=STAFF_PHONE, first_name="Maya", last_name="Lin", tags=["staff"],
                      timezone="America/Los_Angeles")
    session.add(contact)
    session.flush()
    staff_form = Disclosure(name="Staff test phone", text=(
        "I agree to receive test text messages of every kind from Bloom & Branch Florists on "
        "my own phone. Msg & data rates may apply. Reply STOP to cancel."))
    session.add(staff_form)
    session.flush()
    ledger = app_ledger(app, session)
    for kind in types.values():
        ledger.opt_in(contact, kind, source="paper_form", disclosure=staff_form,
                      occurred_at=utcnow(), actor="admin@bloomandbranch.example",
                      source_detail="signed staff form kept in the office file",
                      evidence=Evidence(document_url="https://bloomandbranch.example/staff/maya-lin-consent.pdf"))


ORDER_UPDATE = "Bloom & Branch: your order #{n} is out for delivery today. Reply STOP to opt out."


def _order_updates(app, session, transactional: MessageType, now) -> None:
    """An order update for the first few contacts, so the phone simulator has something to
    show; each goes through the gate like any text (opted-out contacts are blocked)."""
    sender = session.scalars(sa.select(Sender)).first()
    for n, contact in enumerate(session.scalars(sa.select(Contact).order_by(Contact.id)
                                                .limit(5)), start=1042):
        outbox.enqueue(session, gate_for(app), Outgoing(
            contact=contact, message_type=transactional, body=ORDER_UPDATE.format(n=n),
            sender=sender, brand=None), key=f"demo-order-{n}", at=now)


def _brand_and_campaign(session) -> tuple[Brand, Campaign]:
    brand = Brand(
        legal_name="Bloom & Branch Florists LLC",
        public_name="Bloom & Branch",
        website="https://bloomandbranch.example",
        tax_id="12-3456789",
        address="500 Market St, San Francisco, CA 94105",
        support_email="help@bloomandbranch.example",
        support_phone="+14155550100",
        authorized_contact="Maya Lin, Owner",
        privacy_policy_url="https://bloomandbranch.example/privacy",
        link_domain="https://go.bloomandbranch.example",
        terms_url="https://bloomandbranch.example/terms",
    )
    campaign = Campaign(
        brand=brand,
        name="Bloom & Branch promotions and order updates",
        use_case="MIXED",
        description="Order and delivery updates, appointment reminders and seasonal offers.",
        message_flow=(
            "Customers opt in on the checkout form at https://bloomandbranch.example/checkout "
            "(unchecked box with disclosure) or by texting JOIN to the number."
        ),
        sample_messages=[
            "Bloom & Branch: your order #1042 is out for delivery today. Reply STOP to opt out.",
            "Bloom & Branch: 20% off spring bouquets this weekend. Reply STOP to opt out.",
        ],
        opt_in_keywords=["JOIN", "FLOWERS"],
        opt_out_keywords=["STOP"],
        help_keywords=["HELP"],
        help_text="Bloom & Branch: help at help@bloomandbranch.example or +1 415-555-0100. "
        "Reply STOP to cancel.",
        opt_in_confirmation="Bloom & Branch: you're subscribed to offers. Up to 4 msgs/mo. "
        "Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
        message_frequency="Up to 4 messages per month",
        status="approved",
    )
    session.add_all([brand, campaign, Sender(address="+14155550142", campaign=campaign)])
    session.flush()
    return brand, campaign


IMPORT_COLUMNS = ("phone", "message_type", "action", "occurred_at", "source", "source_detail",
                  "disclosure", "page_url", "ip", "user_agent", "first_name", "last_name",
                  "email", "postal_code")


def _bulk_contacts(app, session, rng: random.Random, count: int, seen: set[str], now) -> None:
    """``count`` more contacts with the same kinds of histories as the first ones, written
    through :class:`core.consent.imports.Importer`; their tags and attributes follow."""
    import csv
    import io

    from core.consent.imports import Importer

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPORT_COLUMNS)
    extras = []
    for contact in _contacts(rng, count, seen):
        joined = now - timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 1440))
        person = (contact.first_name, contact.last_name, contact.email, contact.postal_code)
        browser = ("https://bloomandbranch.example/checkout", f"203.0.113.{rng.randint(1, 254)}",
                   rng.choice(BROWSERS))
        writer.writerow((contact.phone, "transactional", "opt_in", joined.isoformat(),
                         "web_form", "", "Checkout order updates", *browser, *person))
        roll = rng.random()
        if roll < 0.6:
            later = min(joined + timedelta(hours=rng.randint(0, 72)), now)
            if rng.random() < 0.5:
                writer.writerow((contact.phone, "marketing", "opt_in", later.isoformat(),
                                 "keyword", "JOIN", "Website marketing opt-in", "", "", "",
                                 *person))
            else:
                writer.writerow((contact.phone, "marketing", "opt_in", later.isoformat(),
                                 "web_form", "", "Website marketing opt-in", *browser, *person))
        out = min(joined + timedelta(days=rng.randint(4, 30)), now)
        if roll < 0.1:
            writer.writerow((contact.phone, "all", "opt_out", out.isoformat(), "keyword",
                             "STOP", "", "", "", "", *person))
        elif roll < 0.15:
            writer.writerow((contact.phone, "marketing", "opt_out", out.isoformat(), "admin",
                             "phone call: asked for no more promotions", "", "", "", "",
                             *person))
        extras.append({"p": contact.phone, "t": contact.tags, "a": contact.attributes})
    buffer.seek(0)
    report = Importer(session, app.extensions["consentdesk"].consent_sources,
                      app.config["SUPPRESSION_KEY"], "demo import").run(buffer, commit=False)
    if report.errors:
        raise RuntimeError(f"the demo's own rows were refused: {report.errors[:3]}")
    table = Contact.__table__
    session.execute(sa.update(table).where(table.c.phone == sa.bindparam("p"))
                    .values(tags=sa.bindparam("t"), attributes=sa.bindparam("a")), extras)


# Some people moved since they got their numbers: their ZIP code, not the area code, decides.
DEMO_ZIPS = ("10001", "33101", "60601", "78701", "94103", "32501", "79901")


def _contacts(rng: random.Random, count: int, seen: set[str]):
    target = len(seen) + count
    while len(seen) < target:
        raw = f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        try:
            phone = to_e164(raw)
        except InvalidPhone:
            continue
        if phone in seen:
            continue
        seen.add(phone)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        yield Contact(
            phone=phone,
            first_name=first,
            last_name=last,
            email=f"{first}.{last}{len(seen)}@example.com".lower(),
            tags=rng.sample(["vip", "wedding", "corporate", "newsletter"], k=rng.randint(0, 2)),
            attributes={"orders": rng.randint(0, 12)},
            postal_code=rng.choice(DEMO_ZIPS) if rng.random() < 0.3 else None,
        )
