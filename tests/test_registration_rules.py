"""Every readiness rule with a passing and a failing example, and larger sets of real-world
wordings for the rules people trip over most (where and how people opt in, sharing with
partners, the website's domain)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.registration import checker, facts
from core.registration.facts import Registration, Source
from core.registration.rules import RULES

BRAND = ("Bloom & Branch", "Bloom & Branch Florists LLC")
FORM_URL = "https://go.bloomandbranch.example/f/join"
APPROVED_FLOW = (
    "End users opt in by visiting https://www.bloomandbranch.example/sms-enroll and "
    "self-enrolling in our text program (the web opt-in is self-service), or by asking a "
    "store associate in store to enroll them. They can opt out at any time by replying STOP.")
GOOD = {
    "description": "Bloom & Branch sends order and delivery updates, appointment reminders and "
                   "seasonal offers by text to customers who opted in on our own forms.",
    "message_flow": APPROVED_FLOW + " Or text JOIN to 41555. Reply HELP for help.",
    "samples": ("Bloom & Branch: your order #1042 is out for delivery today. Reply STOP to opt "
                "out.",
                "Bloom & Branch: 20% off spring bouquets this weekend. Reply STOP to opt out.",
                "Bloom & Branch: see you Thu May 14 at 11:30 AM. Reply STOP to opt out."),
    "call_to_action": "By ticking the box you agree to receive promotional offers by text from "
                      "Bloom & Branch. Msg frequency varies. Msg & data rates may apply. Consent "
                      "is not a condition of purchase. Reply STOP to cancel. Terms: "
                      "https://bloomandbranch.example/terms",
    "terms": "1. Program. Bloom & Branch sends order updates and offers by text message.\n"
             "2. Cancellation. Text STOP to cancel; no more texts follow.\n"
             "3. Help. Text HELP or email help@bloomandbranch.example.\n"
             "4. Carriers are not liable for delayed or undelivered messages.\n"
             "5. Message and data rates may apply. Msg frequency varies.\n"
             "6. Privacy: https://bloomandbranch.example/privacy",
    "privacy": "Mobile numbers are never shared or sold. Message frequency varies. Message and "
               "data rates may apply.",
    "opt_in_reply": "Bloom & Branch: you're subscribed to offers. Up to 4 msgs/mo. Msg & data "
                    "rates may apply. Reply HELP for help, STOP to cancel.",
    "opt_out_reply": "Bloom & Branch: You have been unsubscribed and will receive no further "
                     "texts. Reply HELP for help.",
    "help_reply": "Bloom & Branch: help at help@bloomandbranch.example. Reply STOP to cancel.",
    "opt_in_keywords": ("JOIN",),
    "website": "https://bloomandbranch.example",
    "use_case": "MIXED",
}


def registration(**changes) -> Registration:
    values = {"brand_names": BRAND, **GOOD, **changes}
    return Registration(fields=frozenset(facts.FIELDS), from_records=True, **values)


def findings_of(rule_id: str, reg: Registration) -> list[str]:
    rule = next(r for r in RULES if r.id == rule_id)
    return [f.detail for f in checker.check(reg, [rule])]


def test_the_good_registration_has_no_findings():
    assert checker.check(registration(), RULES) == []


LONG = "word " * 1000
# rule id -> (a passing registration's changes, a failing registration's changes)
EXAMPLES: dict[str, tuple[dict, dict]] = {
    "description.registry_length": ({}, {"description": "Order texts."}),
    "message_flow.registry_length": ({}, {"message_flow": "x" * 2100}),
    "samples.registry_count": ({"samples": GOOD["samples"][:2]}, {"samples": GOOD["samples"] * 2}),
    "samples.registry_length": ({}, {"samples": GOOD["samples"][:2] + ("Bloom & Branch hi",)}),
    "opt_in_reply.registry_length": ({}, {"opt_in_reply": "Bloom & Branch " + LONG}),
    "opt_out_reply.registry_length": ({}, {"opt_out_reply": "Stopped."}),
    "help_reply.registry_length": ({}, {"help_reply": "Bloom & Branch: " + "help " * 80}),
    "keywords.registry_length": ({"opt_in_keywords": ("JOIN", "FLOWERS")},
                                 {"opt_in_keywords": tuple(f"KEYWORD{n:03d}" for n in
                                                           range(30))}),
    "keywords.reserved": ({"opt_in_keywords": ("JOIN", "ROSES")},
                          {"opt_in_keywords": ("JOIN", "STOP")}),
    "description.length": ({}, {"description": "Order updates and offers for our customers by "
                                               "text message."}),
    "message_flow.length": ({}, {"message_flow": APPROVED_FLOW[:150]}),
    "message_flow.opt_in_location": ({}, {"message_flow": "Customers sign up. " * 12}),
    "message_flow.sources": (
        {"sources": (Source("web_form", "Website sign-up", url=FORM_URL),),
         "message_flow": GOOD["message_flow"] + f" Also at {FORM_URL}."},
        {"sources": (Source("web_form", "Website sign-up", url=FORM_URL),)}),
    "message_flow.keywords": (
        {"opt_in_keywords": ("JOIN", "FLOWERS"),
         "message_flow": GOOD["message_flow"] + " Or text JOIN or FLOWERS to 41555."},
        {"opt_in_keywords": ("JOIN", "FLOWERS"),
         "message_flow": GOOD["message_flow"] + " Or text JOIN to 41555."}),
    "message_flow.keyword_number": (
        {"numbers": ("+14155550142",),
         "message_flow": GOOD["message_flow"] + " Or text JOIN to (415) 555-0142."},
        {"numbers": ("+14155550142",),
         "message_flow": GOOD["message_flow"] + " Or text JOIN to our number."}),
    "message_flow.paper_image": (
        {"message_flow": GOOD["message_flow"] + " In store they sign a paper form (image: "
                         f"{FORM_URL}/paper.svg)."},
        {"message_flow": GOOD["message_flow"] + " In store they sign a paper form."}),
    "message_flow.opt_out": ({}, {"message_flow": APPROVED_FLOW.replace(
        " They can opt out at any time by replying STOP.", "") + " Reply HELP for help."}),
    "message_flow.help": ({}, {"message_flow": APPROVED_FLOW}),
    "message_flow.unprovable_consent": (
        {"message_flow": GOOD["message_flow"] + " We never text bought lists."},
        {"message_flow": GOOD["message_flow"] + " We also text leads bought from a list "
                         "provider."}),
    "samples.count": ({}, {"samples": GOOD["samples"][:2]}),
    "samples.length": ({}, {"samples": GOOD["samples"][:2] + ("Bloom & Branch: hi. Reply STOP",)}),
    "samples.brand": ({"samples": GOOD["samples"][:2] + (
        "Bloom and Branch: your bouquet is ready for pick-up. Reply STOP to opt out.",)},
        {"samples": GOOD["samples"][:2] + (
            "Your bouquet is ready for pick-up at the shop today. Reply STOP to opt out.",)}),
    "samples.opt_out": ({}, {"samples": GOOD["samples"][:2] + (
        "Bloom & Branch: your bouquet is ready. Reply STOP to opt out. See you soon!",)}),
    "samples.use_case": (
        {"use_case": "ACCOUNT_NOTIFICATION", "samples": (
            "Bloom & Branch: a reminder of your appointment Thu May 14 at 11:30 AM. Reply STOP "
            "to opt out.",) * 3},
        {"use_case": "ACCOUNT_NOTIFICATION"}),
    "links.no_shorteners": ({}, {"samples": GOOD["samples"][:2] + (
        "Bloom & Branch: spring sale at https://bit.ly/3xYz12 Reply STOP to opt out.",)}),
    "website.domain": ({"website": "https://www.bloom-and-branch.com"},
                       {"website": "https://flowers4less.com"}),
    "call_to_action.present": ({}, {"call_to_action": ""}),
    "call_to_action.brand": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "Bloom & Branch", "us")}),
    "call_to_action.messages": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "promotional offers", "texts")}),
    "call_to_action.frequency": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "Msg frequency varies. ", "")}),
    "call_to_action.rates": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "Msg & data rates may apply. ", "")}),
    "call_to_action.not_a_condition": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "Consent is not a condition of purchase. ", "")}),
    "call_to_action.opt_out": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "Reply STOP to cancel. ", "")}),
    "call_to_action.terms": ({}, {"call_to_action": GOOD["call_to_action"].replace(
        "Terms: https://bloomandbranch.example/terms", "See our terms.")}),
    "forms.call_to_action": (
        {"sources": (Source("web_form", "Sign-up", url=FORM_URL, disclosure=GOOD[
            "call_to_action"] + " Reply HELP for help. Privacy: https://b.example/privacy"),)},
        {"sources": (Source("web_form", "Sign-up", url=FORM_URL, disclosure="Get texts from "
                            "Bloom & Branch and our partners!"),)}),
    "terms.present": ({}, {"terms": None}),
    "terms.program": ({}, {"terms": GOOD["terms"].replace(
        "1. Program. Bloom & Branch sends order updates and offers by text message.\n", "")}),
    "terms.cancellation": ({}, {"terms": GOOD["terms"].replace(
        "2. Cancellation. Text STOP to cancel; no more texts follow.\n", "")}),
    "terms.help": ({}, {"terms": GOOD["terms"].replace(
        "3. Help. Text HELP or email help@bloomandbranch.example.\n", "")}),
    "terms.carrier_liability": ({}, {"terms": GOOD["terms"].replace(
        "4. Carriers are not liable for delayed or undelivered messages.\n", "")}),
    "terms.fees_frequency": ({}, {"terms": GOOD["terms"].replace(
        "Msg frequency varies.", "")}),
    "terms.privacy": ({}, {"terms": GOOD["terms"].replace(
        "6. Privacy: https://bloomandbranch.example/privacy", "")}),
    "privacy.present": ({}, {"privacy": ""}),
    "privacy.no_sharing": ({}, {"privacy": GOOD["privacy"] + " We may share your information "
                                                             "with our affiliates."}),
    "privacy.frequency": ({}, {"privacy": "Mobile numbers are never shared or sold. Message "
                                          "and data rates may apply."}),
    "privacy.rates": ({}, {"privacy": "Mobile numbers are never shared or sold. Message "
                                      "frequency varies."}),
    "opt_in_reply.brand": ({}, {"opt_in_reply": GOOD["opt_in_reply"].replace(
        "Bloom & Branch: ", "")}),
    "opt_in_reply.confirmation": ({}, {"opt_in_reply": "Bloom & Branch: thanks! Up to 4 "
                                                       "msgs/mo. Reply STOP to cancel."}),
    "opt_in_reply.frequency": ({}, {"opt_in_reply": "Bloom & Branch: you're subscribed to "
                                                    "offers. Reply STOP to cancel."}),
    "opt_in_reply.opt_out": ({}, {"opt_in_reply": "Bloom & Branch: you're subscribed to "
                                                  "offers. Up to 4 msgs/mo."}),
    "opt_out_reply.brand": ({}, {"opt_out_reply": "You have been unsubscribed and will "
                                                  "receive no further texts."}),
    "opt_out_reply.confirmation": ({}, {"opt_out_reply": "Bloom & Branch: got it, thanks for "
                                                         "letting us know."}),
    "help_reply.brand": ({}, {"help_reply": "Help at help@bloomandbranch.example. Reply STOP "
                                            "to cancel."}),
    "help_reply.contact": ({}, {"help_reply": "Bloom & Branch: we are here to help. Reply "
                                              "STOP to cancel."}),
}


def test_every_rule_has_examples_and_a_readable_id():
    assert sorted(EXAMPLES) == sorted(rule.id for rule in RULES)
    for rule in RULES:
        assert rule.id.startswith(rule.field + "."), rule.id
        assert rule.id == rule.id.lower() and " " not in rule.id


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_rule_passes_its_good_example_and_fails_its_bad_one(rule_id):
    passing, failing = EXAMPLES[rule_id]
    assert findings_of(rule_id, registration(**passing)) == []
    found = findings_of(rule_id, registration(**failing))
    assert found, f"{rule_id} let its failing example through"
    assert all(isinstance(detail, str) and detail for detail in found)


def test_the_seed_rejected_flow_is_explained_and_the_approved_one_passes():
    rejected = facts.from_text("message_flow", "Customers sign up.")
    details = {f.rule: f.detail for f in checker.check(rejected, RULES)}
    assert "message_flow.opt_in_location" in details
    assert "where or how" in details["message_flow.opt_in_location"]
    approved = facts.from_text("message_flow", APPROVED_FLOW)
    found = checker.check(approved, RULES)
    assert not [f for f in found if f.severity != "advice"], found


WHERE_AND_HOW = [
    APPROVED_FLOW,
    "Customers opt in at bloomandbranch.example/text-club by entering their number.",
    "Patients opt in at the front desk when they check in, by signing our consent form.",
    "Shoppers text JOIN to 41555 from the signs at the register.",
    "Guests opt in by texting the keyword tables to +1 (415) 555-0142.",
    "Members sign up online at https://acme.example/sms?src=footer and confirm by reply.",
    "Customers are enrolled in-store by a sales associate at their request.",
    "Diners join at our restaurant locations using the tablet at the host stand, in person.",
    "Users opt in during checkout at www.acme-shop.com/checkout by ticking a box.",
]
NOWHERE = [
    "Customers sign up.",
    "Customers opt in to receive messages.",
    "Users consent to texts when they become customers.",
    "We send messages to our customers who agreed to receive them.",
    "Opt-in is collected from all our clients.",
    "Customers sign up on our website.",
    "People give us their number and agree to texts.",
    "Clients opt in on a paper form.",
]


@pytest.mark.parametrize("text", WHERE_AND_HOW)
def test_opt_in_location_accepts_a_place_a_reviewer_can_check(text):
    assert findings_of("message_flow.opt_in_location", registration(message_flow=text)) == []


@pytest.mark.parametrize("text", NOWHERE)
def test_opt_in_location_rejects_a_flow_that_does_not_say_where(text):
    assert findings_of("message_flow.opt_in_location", registration(message_flow=text))


SHARES = [
    "We may share your information with our affiliates.",
    "Your phone number may be shared with trusted partners for marketing purposes.",
    "We do not sell your data, but we may share it with our partners.",
    "Information, including mobile numbers, may be disclosed to third parties.",
    "We never share your number, except with our affiliates.",
    "Our sister companies may contact you with offers.",
    "We provide contact details to companies we work with.",
    "Data may be transferred to our parent company and its subsidiaries.",
    "We share opt-in data with marketing partners.",
    "Partner brands may use your mobile number.",
]
DOES_NOT_SHARE = [
    "Mobile numbers are never shared or sold.",
    "No mobile information will be shared with third parties or affiliates for "
    "marketing or promotional purposes.",
    "We do not share, sell or rent your phone number or text messaging consent with anyone.",
    "Text messaging originator opt-in data and consent will not be shared with any third "
    "parties.",
    "Your mobile number is not shared with anyone.",
]


@pytest.mark.parametrize("sentence", SHARES)
def test_privacy_sharing_wording_is_rejected_in_any_form(sentence):
    text = f"Mobile numbers are never sold. {sentence} Msg frequency varies."
    assert findings_of("privacy.no_sharing", registration(privacy=text))


@pytest.mark.parametrize("sentence", DOES_NOT_SHARE)
def test_privacy_saying_numbers_are_not_shared_passes(sentence):
    assert findings_of("privacy.no_sharing", registration(privacy=sentence)) == []


def test_privacy_that_says_nothing_about_sharing_fails():
    assert findings_of("privacy.no_sharing", registration(
        privacy="We use cookies to improve our site. Msg frequency varies."))


@pytest.mark.parametrize("website,names", [
    ("https://bloomandbranch.com", ("Bloom & Branch",)),
    ("https://www.bloom-and-branch.co.uk/", ("Bloom & Branch Florists LLC",)),
    ("http://acmedental.com", ("Acme Dental, Inc.",)),
    ("acme-dental.example", ("Acme Dental PLLC",)),
    ("https://ssmc.org", ("St Sebastian Medical Center",)),
    ("https://shop.joescoffee.com", ("Joe's Coffee",)),
])
def test_website_domain_matches_the_brand(website, names):
    assert findings_of("website.domain", registration(website=website, brand_names=names)) == []


@pytest.mark.parametrize("website,names", [
    ("https://flowers4less.com", ("Bloom & Branch",)),
    ("https://mysite.wixsite.com", ("Acme Dental",)),
    ("https://facebook.com/acmedental", ("Acme Dental",)),
    ("https://bestdeals.example", ("Joe's Coffee",)),
])
def test_website_domain_of_someone_else_is_a_finding(website, names):
    assert findings_of("website.domain", registration(website=website, brand_names=names))


@pytest.mark.parametrize("claim", [
    "Numbers come from a purchased list of local homeowners.",
    "We obtained leads from a data broker.",
    "Customers consent verbally when they call us.",
    "Staff collect consent over the phone.",
    "Contacts are shared with us by our partners.",
    "We rent lists from a lead vendor.",
])
def test_claimed_consent_the_ledger_cannot_prove_blocks(claim):
    found = checker.check(registration(message_flow=GOOD["message_flow"] + " " + claim), RULES)
    assert [f for f in found if f.rule == "message_flow.unprovable_consent"
            and f.severity == "blocks"]


def test_a_pasted_field_is_checked_alone():
    reg = facts.from_text("privacy", "We may share data with affiliates.", brand_names=BRAND)
    rules = {f.rule for f in checker.check(reg, RULES)}
    assert rules and all(r.startswith(("privacy.", "links.")) for r in rules)


def test_samples_pasted_one_per_line_and_keywords_by_comma():
    reg = facts.from_text("samples", "Bloom & Branch: hi\n\nBloom & Branch: there\n")
    assert reg.samples == ("Bloom & Branch: hi", "Bloom & Branch: there")
    assert facts.from_text("keywords", "join, Flowers;roses").opt_in_keywords == (
        "JOIN", "FLOWERS", "ROSES")
    with pytest.raises(ValueError, match="unknown field"):
        facts.from_text("nonsense", "x")


def test_findings_list_blocking_first():
    reg = registration(description="Texts.", samples=GOOD["samples"][:2])
    found = checker.check(reg, RULES)
    severities = [f.severity for f in found]
    assert severities == sorted(severities, key=checker.SEVERITY_ORDER.get)
    assert found[0].rule == "description.registry_length"


def test_hook_register_registration_rules(make_app):
    """A plugin rule runs beside the built-in ones; a repeated rule id is refused."""
    from hooks import RegistrationRule, hookimpl

    class CarrierRules:
        @hookimpl
        def register_registration_rules(self):
            return [RegistrationRule(
                "message_flow.no_emoji", "message_flow",
                lambda reg: ["It has an emoji."] if "🌸" in (reg.message_flow or "") else [],
                "advice", "Some carriers ask for plain text.", "Remove the emoji.",
                "Example carrier's extra rules")]

    app = make_app()
    app.extensions["consentdesk"].pm.register(CarrierRules())
    rules = checker.rules_for(app)
    assert rules[0].id == RULES[0].id  # built-in rules first
    found = checker.check(registration(message_flow=GOOD["message_flow"] + " 🌸"), rules)
    assert [f.rule for f in found] == ["message_flow.no_emoji"]

    class Clash:
        @hookimpl
        def register_registration_rules(self):
            return [replace(RULES[0], check=lambda reg: [])]

    app.extensions["consentdesk"].pm.register(Clash())
    with pytest.raises(RuntimeError, match="description.registry_length"):
        checker.rules_for(app)


def test_a_rule_with_an_unknown_severity_is_refused():
    from hooks import RegistrationRule

    with pytest.raises(ValueError, match="severity"):
        RegistrationRule("x.y", "x", lambda r: [], "fatal", "m", "f", "s")


@pytest.mark.parametrize("given,field", [
    ("message_flow", "message_flow"), ("message-flow", "message_flow"),
    ("MessageFlow", "message_flow"), ("opt_in_confirmation", "opt_in_reply"),
    ("Sample Messages", "samples"), ("privacy_policy", "privacy"), ("cta", "call_to_action"),
    ("help_text", "help_reply"), ("terms_of_service", "terms"),
])
def test_fields_go_by_the_names_people_use(given, field):
    assert facts.field_named(given) == field


@pytest.mark.parametrize("text,words", [
    ("Customers opt in by texting join to 12345.", ["JOIN"]),
    ("Text FLOWERS or ROSES to (415) 555-0142.", ["FLOWERS", "ROSES"]),
    ("Reply 'yes' or text “Bloom” to our short code 55555.", ["BLOOM"]),
    ("After a web sign-up we text once to ask for a reply Y.", []),
    ("Text STOP to 12345 to opt out.", []),
    ("We send texts to customers who asked.", []),
])
def test_the_keywords_a_flow_tells_people_to_text(text, words):
    from core.registration.rules import _joins

    assert _joins(text) == words


@pytest.mark.parametrize("sentence", [
    "Mobile opt-in data will not be shared with third parties, except as required by law.",
    "We never share or sell mobile numbers; they are used only for the texts you asked for.",
])
def test_privacy_exceptions_that_name_no_one_pass(sentence):
    assert findings_of("privacy.no_sharing", registration(privacy=sentence)) == []
