"""What an opt-in must show the person, checked before it can be used.

A web or paper form's call to action names the business, says what messages will come and
how often, that message and data rates may apply, that consent is not a condition of
purchase, how to stop (STOP) and get help (HELP), and links the terms and the privacy policy;
it never consents to texts from partners or affiliates. A keyword opt-in's first reply names
the brand, confirms what the person joined, says how often messages come and how to stop.

Each check answers in words: the list of what is missing, empty when nothing is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words that say what kind of messages will come.
WHAT = re.compile(
    r"\b(promotion\w*|promo\w*|marketing|offers?|deals?|discounts?|sales?|coupons?|news\w*|"
    r"orders?|deliver\w*|shipping|appointments?|reminders?|bookings?|updates?|alerts?|"
    r"notifications?|account|confirmations?|follow-?ups?|support|reservations?|events?|"
    r"rewards?|loyalty)\b", re.I)
HOW_OFTEN = re.compile(
    r"(msg|message)s?\.? ?(&|and)? ?(frequency|freq)|frequency varies|"
    r"\bup to \d+|\b\d+\s*(msgs?|messages?|texts?)\s*(/|per|a|each)\s*(day|week|wk|month|mo)\b|"
    r"\b(one|two|three|four|five|\d+)\s*(msgs?|messages?|texts?)\s*(a|per)\s*"
    r"(day|week|month)|\b(daily|weekly|monthly)\b|/\s*mo\b", re.I)
RATES = re.compile(r"\b(msg|message)\s*(&|and)\s*data\s*rates\s*(may|will)?\s*apply", re.I)
NOT_A_CONDITION = re.compile(
    r"not\s+(a\s+)?(condition|requirement|required)\s+(of|for|to)\s+(any\s+|a\s+)?"
    r"(purchase|buy|buying|purchasing|make\s+a\s+purchase)|"
    r"consent\s+is\s+not\s+(a\s+)?(condition|required)", re.I)
STOP_WORD = re.compile(r"\bstop\b", re.I)
HELP = re.compile(r"\bhelp\b", re.I)
TERMS = re.compile(r"\bterms\b", re.I)
PRIVACY = re.compile(r"\bprivacy\b", re.I)
URL = re.compile(r"https?://\S+", re.I)
SHARING = re.compile(r"\b(partners?|affiliates?|third[- ]part(y|ies)|marketing partners)\b",
                     re.I)


def _names(brand) -> list[str]:
    return [n for n in (getattr(brand, "public_name", None), getattr(brand, "legal_name", None))
            if n]


def _names_brand(text: str, brand) -> bool:
    lower = text.lower()
    return any(name.lower() in lower for name in _names(brand))


def form_disclosure_problems(text: str, brand, *, terms_url: str | None = None,
                             privacy_url: str | None = None) -> list[str]:
    """What a web or paper form's disclosure lacks. The page links the brand's terms and
    privacy policy itself when the brand has them; otherwise the text must."""
    problems: list[str] = []
    text = text or ""
    if brand is None or not _names_brand(text, brand):
        names = " or ".join(f"“{n}”" for n in _names(brand)) or "the business"
        problems.append(f"the business's name ({names})")
    if not WHAT.search(text):
        problems.append("what messages will come (e.g. “promotional offers”, “order updates”)")
    if not HOW_OFTEN.search(text):
        problems.append("how often (e.g. “Msg frequency varies” or “up to 4 msgs/month”)")
    if not RATES.search(text):
        problems.append("“Msg & data rates may apply”")
    if not NOT_A_CONDITION.search(text):
        problems.append("“Consent is not a condition of purchase”")
    if not STOP_WORD.search(text):
        problems.append("how to opt out (“Reply STOP to cancel”)")
    if not HELP.search(text):
        problems.append("how to get help (“Reply HELP for help”)")
    if not (terms_url or (TERMS.search(text) and URL.search(text))):
        problems.append("a link to the terms (set the brand's terms URL)")
    if not (privacy_url or (PRIVACY.search(text) and URL.search(text))):
        problems.append("a link to the privacy policy (set the brand's privacy policy URL)")
    if SHARING.search(text):
        problems.append("no wording about partners, affiliates or third parties: consent "
                        "given to “us and our partners” is rejected by the carriers")
    return problems


def confirmation_problems(text: str, brand) -> list[str]:
    """What a keyword opt-in's first reply lacks: brand, what they joined, how often, STOP."""
    problems: list[str] = []
    text = text or ""
    if brand is None or not _names_brand(text, brand):
        problems.append("the brand's name")
    if not WHAT.search(text) and not re.search(r"\b(subscribed|joined|signed up|enrolled)\b",
                                               text, re.I):
        problems.append("what they subscribed to (e.g. “you're subscribed to offers”)")
    if not HOW_OFTEN.search(text):
        problems.append("how often messages come (e.g. “Up to 4 msgs/mo”)")
    if not STOP_WORD.search(text):
        problems.append("how to opt out (“Reply STOP to cancel”)")
    return problems


def sentence(problems: Iterable[str], word: str = "and") -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"`` (or ``"a, b or c"``)."""
    items = list(problems)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]
