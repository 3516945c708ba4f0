"""Registration text written from the truth: the forms, keywords, replies and flows this
install really has. Every generated text passes the readiness checker as it comes out; the
admin edits it from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.capture.rules import sentence
from core.flows import templates
from core.keywords import replies
from core.models import Brand, Campaign, ConsentEvent
from core.phone import national
from core.registration import facts
from core.registration import patterns as p

WHAT_BY_TYPE = {"marketing": "promotional offers", "transactional":
                "order and appointment updates", "support": "support replies"}
WHAT_BY_USE_CASE = {
    "MARKETING": "promotional offers", "DELIVERY_NOTIFICATION": "order and delivery updates",
    "ACCOUNT_NOTIFICATION": "appointment and account updates",
    "CUSTOMER_CARE": "customer care messages and follow-ups",
    "2FA": "verification codes", "FRAUD_ALERT": "fraud alerts",
    "SECURITY_ALERT": "security alerts", "HIGHER_EDUCATION": "school updates",
    "POLLING_VOTING": "polls and surveys", "PUBLIC_SERVICE_ANNOUNCEMENT": "public updates",
}
STOP_WORDS = "STOP, END, CANCEL, UNSUBSCRIBE, QUIT or REVOKE"
EXAMPLE_MOMENT = datetime(2026, 5, 14, 18, 30, tzinfo=UTC)


class _ExampleEvent(Mapping):
    """Stands in for an event's fields in a sample: a plausible value for any name."""

    def __getitem__(self, key: str) -> str:
        return "#1042" if "order" in key or key in ("number", "id") else "your booking"

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def what(session: Session, campaign: Campaign) -> str:
    """What the campaign's texts are, in a few words, from its flows' message types."""
    types = [t for t in dict.fromkeys(f.message_type for f in
                                      facts.flow_texts(session, campaign))]
    if types and campaign.use_case.upper() in ("MIXED", "LOW_VOLUME", "MARKETING"):
        words = [WHAT_BY_TYPE.get(t, t.replace("_", " ") + " messages") for t in types]
        if campaign.use_case.upper() == "MARKETING":
            words = [WHAT_BY_TYPE["marketing"]]
        return sentence(dict.fromkeys(words))
    return WHAT_BY_USE_CASE.get(campaign.use_case.upper(), "updates")


def frequency(campaign: Campaign) -> str:
    """The campaign's frequency as a sentence the rules recognise."""
    given = (campaign.message_frequency or "").strip().rstrip(".")
    if given and p.HOW_OFTEN.search(given):
        return f"{given[0].upper()}{given[1:]}."
    if given:
        return f"Msg frequency varies ({given})."
    return "Msg frequency varies."


def terms_url(app: Flask, brand: Brand) -> str:
    return brand.terms_url or facts.hosted_url(app, brand, "terms")


def privacy_url(app: Flask, brand: Brand) -> str:
    return brand.privacy_policy_url or facts.hosted_url(app, brand, "privacy")


def call_to_action(session: Session, app: Flask, campaign: Campaign) -> str:
    brand = campaign.brand
    return (f"By entering your mobile number and ticking the box, you agree to receive "
            f"{what(session, campaign)} by text from {brand.public_name} at that number. "
            f"{frequency(campaign)} Msg & data rates may apply. Consent is not a condition of "
            f"purchase. Reply STOP to cancel, HELP for help. Terms: {terms_url(app, brand)} "
            f"Privacy: {privacy_url(app, brand)}")


def _has_paper(session: Session, campaign: Campaign) -> bool:
    return session.scalar(sa.select(ConsentEvent.id).where(
        ConsentEvent.campaign_id == campaign.id, ConsentEvent.source == "paper_form",
        ConsentEvent.action == "opt_in").limit(1)) is not None


def message_flow(session: Session, app: Flask, campaign: Campaign) -> str:
    """The story of how people opt in, each source with its URL or number."""
    brand = campaign.brand
    numbers = tuple(s.address for s in sorted(campaign.senders, key=lambda s: s.id))
    sources = facts.sources(session, app, campaign, numbers)
    forms = facts.campaign_forms(session, campaign)
    ways: list[str] = []
    for source in sources:
        if source.kind == "web_form":
            ways.append(f"on the web form at {source.url}, where people enter their mobile "
                        "number themselves and tick an unticked box beside the consent text "
                        "(self-service; staff never tick it for them)")
    if forms and _has_paper(session, campaign):
        images = ", ".join(s.url for s in sources if s.kind == "paper_form")
        ways.append(f"in store, on a signed paper form with the same consent text (image of "
                    f"the form: {images})")
    keyword = next((s for s in sources if s.kind == "keyword"), None)
    if keyword:
        where = f" to {national(keyword.number)}" if keyword.number else ""
        words = sentence(keyword.keywords, "or")
        ways.append(f"by texting {words}{where}; wherever the keyword is advertised it "
                    "carries the same consent text")
    parts = [f"{brand.public_name} ({brand.legal_name}) texts {what(session, campaign)} only "
             f"to people who asked for them. People opt in "
             + ("; ".join(ways) if ways else "[say where people opt in]") + "."]
    parts.append(f"The consent text names {brand.public_name}, says what messages come and "
                 "how often, that msg & data rates may apply and that consent is not a "
                 f"condition of purchase, and links the terms ({terms_url(app, brand)}) and "
                 f"privacy policy ({privacy_url(app, brand)}).")
    if any(form.double_opt_in for form in forms):
        parts.append("After a web sign-up we text once to ask for a reply Y; nothing else is "
                     "sent until they confirm.")
    parts.append(f"The first text confirms the sign-up: “{replies.opt_in_reply(brand, campaign)}”")
    support = _support(brand)
    parts.append(f"People opt out at any time by replying {STOP_WORDS}; one confirmation "
                 f"follows and no more texts are sent. Reply HELP for help"
                 + (f", or contact {support}" if support else "") + ".")
    parts.append("Each opt-in is recorded with its time, source and the consent text shown.")
    return " ".join(parts)


def description(session: Session, campaign: Campaign) -> str:
    brand = campaign.brand
    return (f"{brand.public_name} ({brand.legal_name}) sends {what(session, campaign)} by text "
            f"to customers who opted in on its own forms or by keyword. "
            f"{frequency(campaign)} Every text names {brand.public_name} and says how to stop.")


def sms_terms(app: Flask, brand: Brand, campaign: Campaign | None = None) -> str:
    """The SMS terms with the six sections: program, cancellation, help, carrier liability,
    fees and frequency, privacy."""
    how_often = frequency(campaign) if campaign else "Msg frequency varies."
    kinds = "order updates, appointment reminders and, if you chose them, promotional offers"
    if campaign is not None:
        kinds = WHAT_BY_USE_CASE.get(campaign.use_case.upper(), kinds)
    support = _support(brand) or "our website"
    return "\n\n".join([
        f"{brand.public_name} text messages: terms",
        f"1. Program. When you opt in, {brand.public_name} ({brand.legal_name}) sends you "
        f"text messages about {kinds} to the mobile number you gave.",
        "2. Cancellation. Text STOP at any time to cancel. You will get one text confirming "
        "that you are unsubscribed, and no more texts after it. To join again, sign up the "
        "way you first did.",
        f"3. Help. Text HELP for help, or contact us at {support}.",
        "4. Carrier liability. Carriers are not liable for delayed or undelivered messages.",
        f"5. Fees and frequency. Message and data rates may apply. {how_often} Ask your "
        "mobile carrier about your plan.",
        f"6. Privacy. See our privacy policy: {privacy_url(app, brand)}",
    ])


def privacy_clause(brand: Brand, campaign: Campaign | None = None) -> str:
    how_often = frequency(campaign) if campaign else "Msg frequency varies."
    return (f"Text messaging. When you opt in to texts from {brand.public_name}, we keep "
            f"your mobile number, when and where you opted in, and the consent text you saw, "
            f"to send the messages you asked for and to prove your consent. Mobile numbers and "
            f"text-messaging consent are never shared with or sold to anyone. {how_often} "
            f"Message and data rates may apply. Reply STOP to stop at any time, HELP for help.")


def samples(session: Session, app: Flask, campaign: Campaign) -> list[str]:
    """Up to five samples: the texts the campaign's enabled flows send, rendered with example
    values; then its real replies (opt-in confirmation, HELP) if fewer than three."""
    from core.flows.links import link_base

    brand = campaign.brand
    base = link_base(app, brand).rstrip("/")
    per_flow: list[list[str]] = []
    for flow in facts.campaign_flows(session, campaign):
        texts = []
        for step in flow.steps or ():
            if not isinstance(step, dict) or not step.get("send"):
                continue
            try:
                text = templates.render(step["send"], templates.Context(
                    brand=brand.public_name, support_phone=brand.support_phone or "+14155550100",
                    first_name="Ana", last_name="Garcia", timezone="America/Los_Angeles",
                    moment=EXAMPLE_MOMENT, offer=step.get("offer") or "",
                    event=_ExampleEvent(), link=lambda: f"{base}/l/Xk3mQa",
                    preferences_link=lambda: f"{base}/l/Pr7fTz"))
            except templates.TemplateError:
                continue
            texts.append(_ends_with_opt_out(_with_brand(" ".join(text.split()), brand)))
        per_flow.append(texts)
    # One text of each flow first, so every kind the campaign sends is shown.
    found = [text for depth in range(max(map(len, per_flow), default=0))
             for texts in per_flow if depth < len(texts) for text in [texts[depth]]]
    found = list(dict.fromkeys(found))[:5]
    extras = [replies.opt_in_reply(brand, campaign), replies.help_reply(brand, campaign)]
    for extra in extras:
        if len(found) >= 3:
            break
        if extra not in found:
            found.append(extra)
    return found


def _with_brand(text: str, brand: Brand) -> str:
    return text if p.names_brand(text, (brand.public_name,)) else f"{brand.public_name}: {text}"


def _ends_with_opt_out(text: str) -> str:
    last = (p.sentences(text) or [""])[-1]
    return text if p.OPT_OUT.search(last) else f"{text.rstrip()} Reply STOP to opt out."


def everything(session: Session, app: Flask, campaign: Campaign) -> dict[str, Any]:
    """Every generated field, by name, for the readiness screen and the CLI."""
    return {
        "description": description(session, campaign),
        "message_flow": message_flow(session, app, campaign),
        "call_to_action": call_to_action(session, app, campaign),
        "samples": samples(session, app, campaign),
        "sms_terms": sms_terms(app, campaign.brand, campaign),
        "privacy_clause": privacy_clause(campaign.brand, campaign),
        "opt_in_reply": replies.opt_in_reply(campaign.brand, campaign),
        "opt_out_reply": replies.stop_reply(campaign.brand),
        "help_reply": replies.help_reply(campaign.brand, campaign),
    }


def apply(session: Session, app: Flask, campaign: Campaign, names: list[str]) -> list[str]:
    """Write the generated ``names`` into the campaign and brand; returns what changed."""
    generated = everything(session, app, campaign)
    targets = {"description": campaign, "message_flow": campaign, "call_to_action": campaign,
               "sample_messages": campaign, "sms_terms": campaign.brand,
               "privacy_clause": campaign.brand}
    changed = []
    for name in names:
        key = "samples" if name == "sample_messages" else name
        if name not in targets:
            raise ValueError(f"{name!r} cannot be generated into the records")
        if getattr(targets[name], name) != generated[key]:
            setattr(targets[name], name, generated[key])
            changed.append(name)
    return changed


def _support(brand: Brand) -> str:
    """The brand's support email and phone, as words."""
    return sentence([c for c in (brand.support_email, national(brand.support_phone)
                                if brand.support_phone else None) if c])
