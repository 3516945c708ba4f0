"""What an opt-in must show: web and paper disclosures, and a keyword opt-in's first reply.

Each complete text passes; each text missing one element is refused naming exactly that
element. The examples vary the wording the way real businesses write it."""

from types import SimpleNamespace

import pytest

from core.capture.rules import confirmation_problems, form_disclosure_problems, sentence

BRAND = SimpleNamespace(public_name="Bloom & Branch", legal_name="Bloom & Branch Florists LLC")
TERMS, PRIVACY = "https://bloom.example/terms", "https://bloom.example/privacy"

COMPLETE = [
    "By submitting this form, you agree to receive recurring automated promotional text "
    "messages from Bloom & Branch Florists at the number provided. Consent is not a condition "
    "of purchase. Msg frequency varies. Msg & data rates may apply. Reply HELP for help and "
    "STOP to cancel.",
    "Yes, text me Bloom & Branch offers and order updates! Up to 4 msgs/month. Message and data "
    "rates may apply. Consent is not a condition of any purchase. Text HELP for help, STOP to "
    "end.",
    "I agree to get appointment reminders from Bloom & Branch by text, about 2 messages per "
    "week. Msg and data rates may apply. Consenting is not required to make a purchase. "
    "Reply STOP to unsubscribe or HELP for help.",
    "Bloom & Branch Florists LLC will send you weekly deals by SMS. Message & data rates may "
    "apply. You are not required to purchase anything: consent is not a condition of "
    "purchase. STOP to opt out, HELP for info.",
    "Sign me up for Bloom & Branch alerts (recurring messages; msg freq varies). Msg&data "
    "rates may apply. "
    "Consent is not a condition of purchase. Reply HELP for help; reply STOP to cancel.",
    "Get Bloom & Branch delivery notifications. 1 message per day at most. Msg & data rates "
    "will apply per your plan. Consent not required for purchase — consent is not a condition "
    "of purchase. STOP=stop, HELP=help.",
]


@pytest.mark.parametrize("text", COMPLETE)
def test_a_complete_disclosure_has_nothing_missing(text):
    assert form_disclosure_problems(text, BRAND, terms_url=TERMS, privacy_url=PRIVACY) == []


BASE = COMPLETE[0]
MISSING = [
    ("Bloom & Branch Florists", "a florist", "the business's name"),
    ("promotional text messages", "text messages", "what messages will come"),
    ("Msg frequency varies. ", "", "how often"),
    ("Msg & data rates may apply. ", "", "Msg & data rates may apply"),
    ("Consent is not a condition of purchase. ", "", "Consent is not a condition of purchase"),
    (" and STOP to cancel", "", "how to opt out"),
    ("Reply HELP for help and STOP", "Reply STOP", "how to get help"),
]


@pytest.mark.parametrize(("old", "new", "named"), MISSING)
def test_each_missing_element_is_named(old, new, named):
    text = BASE.replace(old, new)
    assert text != BASE
    found = form_disclosure_problems(text, BRAND, terms_url=TERMS, privacy_url=PRIVACY)
    assert len(found) == 1 and named in found[0], found


def test_terms_and_privacy_come_from_the_brand_or_the_text():
    assert [p for p in form_disclosure_problems(BASE, BRAND) if "terms" in p or "privacy" in p] \
        == ["a link to the terms (set the brand's terms URL)",
            "a link to the privacy policy (set the brand's privacy policy URL)"]
    linked = BASE + f" Terms: {TERMS}. Privacy: {PRIVACY}."
    assert form_disclosure_problems(linked, BRAND) == []


@pytest.mark.parametrize("sharing", [
    " We may share your number with our partners.",
    " Texts may also come from our affiliates.",
    " Your number may be shared with third parties for marketing.",
    " Consent covers Bloom & Branch and its marketing partners.",
])
def test_wording_about_partners_or_affiliates_is_refused(sharing):
    found = form_disclosure_problems(BASE + sharing, BRAND, terms_url=TERMS,
                                     privacy_url=PRIVACY)
    assert len(found) == 1 and "partners, affiliates or third parties" in found[0]


def test_an_empty_disclosure_lacks_everything_and_says_so_in_one_sentence():
    found = form_disclosure_problems("", BRAND)
    assert len(found) == 9
    assert sentence(["a", "b", "c"]) == "a, b and c" and sentence(["a"]) == "a"


CONFIRMATIONS_OK = [
    "Bloom & Branch: you're subscribed to offers. Up to 4 msgs/mo. Msg & data rates may apply. "
    "Reply HELP for help, STOP to cancel.",
    "Bloom & Branch: Welcome! You joined our VIP deals list, about 2 texts a week. Reply STOP "
    "to opt out.",
    "Thanks for signing up for Bloom & Branch order updates. Msg frequency varies. Text STOP "
    "to end.",
]


@pytest.mark.parametrize("text", CONFIRMATIONS_OK)
def test_a_complete_keyword_confirmation(text):
    assert confirmation_problems(text, BRAND) == []


@pytest.mark.parametrize(("text", "named"), [
    ("You're subscribed to offers. Up to 4 msgs/mo. Reply STOP to cancel.", "brand"),
    ("Bloom & Branch: Welcome! Up to 4 msgs/mo. Reply STOP to cancel.", "what they subscribed"),
    ("Bloom & Branch: you're subscribed to offers. Reply STOP to cancel.", "how often"),
    ("Bloom & Branch: you're subscribed to offers. Up to 4 msgs/mo.", "how to opt out"),
])
def test_a_keyword_confirmation_missing_one_element(text, named):
    found = confirmation_problems(text, BRAND)
    assert len(found) == 1 and named in found[0], found
