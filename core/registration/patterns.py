"""The words and shapes the readiness rules look for in registration text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from core.capture.rules import HOW_OFTEN, NOT_A_CONDITION, RATES, WHAT  # noqa: F401

URL = re.compile(r"\bhttps?://[^\s<>\"'()]+", re.I)
# A web address written without a scheme (www.example.com/join, example.com/sms).
BARE_URL = re.compile(r"\b(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|co|us|"
                      r"io|biz|info|shop|store|app|site|online|example|health|salon|"
                      r"[a-z]{2})(?:/[^\s<>\"'()]*)?(?=[\s,;)]|[.!?](?:\s|$)|$)", re.I)
IN_PERSON = re.compile(
    r"\b(in[- ]store|in[- ]person|in[- ]clinic|in[- ]office|at (our|the|any|each|one of our) "
    r"(stores?|shops?|front desk|counter|register|checkout counter|point of sale|offices?|"
    r"clinics?|salons?|locations?|branch(es)?|restaurants?|reception)|point[- ]of[- ]sale|"
    r"front desk|(store|shop|office|clinic) (staff|associates?|employees?|team))\b", re.I)
PAPER = re.compile(r"\b(paper|printed|hand[- ]?written|sign[- ]?up sheets?|sign[- ]?in sheets?|"
                   r"clipboard|intake forms?|registration cards?|comment cards?)\b", re.I)
IMAGE_LINK = re.compile(r"\.(svg|png|jpe?g|gif|webp|pdf)\b|/paper\b|paper|image|photo|scan",
                        re.I)
# "text JOIN to 41555", "texting the keyword FLOWERS or 'ROSES' to +1 415 555 0142"
KEYWORD_JOIN = re.compile(
    r"\b(?:text(?:s|ing|ed)?|sms(?:ing)?|send(?:s|ing)?)\s+(?:in\s+)?"
    r"(?P<named>(?:the\s+)?(?:key)?words?\s+)?"
    r"(?P<words>[\"“'‘]?[A-Za-z0-9]{2,20}[\"”'’]?(?:(?:\s*,\s*|\s+or\s+|\s+and\s+)"
    r"[\"“'‘]?[A-Za-z0-9]{2,20}[\"”'’]?)*)\s+to\b", re.I)
PHONE_NUMBER = re.compile(r"(?:\+?1[\s.-]?)?\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b|"
                          r"\b\d{5,6}\b")
OPT_OUT = re.compile(r"\b(stop|unsubscribe|opt[- ]?out|cancel|quit|end|stopall|revoke)\b", re.I)
STOP_WORD = re.compile(r"\bstop\b", re.I)
HELP_WORD = re.compile(r"\bhelp\b", re.I)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")
NEGATION = re.compile(r"\b(not|never|no|none|nor|neither|won't|don't|doesn't|cannot|can't|"
                      r"without|excluded?|excluding)\b", re.I)
EXCEPTION = re.compile(r"\b(except|other than|apart from|besides|unless|but (we )?may)\b", re.I)
PARTIES = re.compile(
    r"\b(affiliat\w*|partners?|partnerships?|third[- ]?part(y|ies)|3rd[- ]part(y|ies)|"
    r"subsidiar\w+|sister (compan\w+|brands?)|parent compan\w+|related (compan\w+|entit\w+)|"
    r"associated (compan\w+|entit\w+)|(other|outside) (compan\w+|businesses|organi[sz]ations)|"
    r"companies we work with|business associates?|sponsors?|list (brokers?|vendors?)|"
    r"marketers|advertisers)\b", re.I)
TRANSFER = re.compile(r"\b(shar\w*|sell\w*|sold|rent\w*|leas\w*|trad\w*|disclos\w*|transfer\w*|"
                      r"provid\w*|giv\w*|pass\w*|exchang\w*|distribut\w*|release\w*|"
                      r"made available|make available|send\w*)\b", re.I)
MOBILE = re.compile(r"\b(mobile|phone|cell(ular)?|sms|text(ing)? messag\w*|opt-?in (data|"
                    r"information)|originator|numbers?)\b", re.I)
UNPROVABLE = re.compile(
    r"\b(bought|buy|purchas\w*|rent(ed|al)?|acquired|obtained from)\b[^.]{0,40}"
    r"\b(lists?|leads?|data(bases?)?|numbers?|contacts?)\b|"
    r"\blead (lists?|vendors?|providers?|generators?|gen)\b|\b(list|data) (brokers?|vendors?|"
    r"providers?|partners?)\b|\b(partners?|affiliates?|third[- ]part(y|ies)|sister "
    r"compan\w+)\b|\bverbal(ly)?\b|\b(over|on) the (phone|telephone)\b|"
    r"\b(by|during|on|via) (a )?(phone|telephone) calls?\b|\bcall (center|centre)\b|"
    r"\bword of mouth\b|\bbusiness cards?\b", re.I)
PROMOTION = re.compile(
    r"\d+\s*%\s*off|\$\d+\s*off|\b(sale|discounts?|coupons?|promo(tion)?s?|promo codes?|deals?|"
    r"shop now|buy now|limited[- ]time|exclusive offers?|special offers?|offers?|free shipping|"
    r"bogo|clearance|new arrivals|save \d+|flash sale)\b", re.I)
# What a sample of each 10DLC use case talks about.
USE_CASE_WORDS: dict[str, re.Pattern] = {
    "MARKETING": re.compile(PROMOTION.pattern + r"|\b(favou?rites?|collections?|shop|store|"
                            r"browse|check (it |them )?out|still deciding|book (now|today)|"
                            r"learn more|new|latest|season\w*|gift\w*|members?|rewards?|"
                            r"vip|event|invit\w*)\b", re.I),
    "DELIVERY_NOTIFICATION": re.compile(r"\b(orders?|deliver\w*|ship\w*|packages?|tracking|"
                                        r"arriv\w*|pick[- ]?up|out for delivery)\b", re.I),
    "ACCOUNT_NOTIFICATION": re.compile(r"\b(accounts?|appointments?|reminders?|bookings?|booked|"
                                       r"orders?|payments?|password|confirm\w*|scheduled|"
                                       r"renew\w*|reservations?|updates?|cancel\w*|resched\w*)"
                                       r"\b", re.I),
    "CUSTOMER_CARE": re.compile(r"\b(support|tickets?|help|case|questions?|requests?|service|"
                                r"feedback|reviews?|how did we do|survey|orders?|appointments?|"
                                r"thank\w*)\b", re.I),
    "2FA": re.compile(r"\b(code|verification|verify|passcode|one[- ]time|OTP|log ?in)\b", re.I),
    "FRAUD_ALERT": re.compile(r"\b(fraud\w*|suspicious|unusual|charge|transaction|verify)\b",
                              re.I),
    "SECURITY_ALERT": re.compile(r"\b(security|suspicious|log ?in|sign[- ]?in|password|"
                                 r"breach|alert)\b", re.I),
    "HIGHER_EDUCATION": re.compile(r"\b(class\w*|campus|students?|enrol\w*|semester|"
                                   r"registrar|tuition|financial aid)\b", re.I),
    "POLLING_VOTING": re.compile(r"\b(poll|vote|voting|survey|reply (yes|no|[0-9]))\b", re.I),
    "PUBLIC_SERVICE_ANNOUNCEMENT": re.compile(r"\b(public|community|notice|announcement|"
                                              r"advisory|alert)\b", re.I),
}
USE_CASES = {
    "MARKETING": "Marketing: promotions and offers",
    "MIXED": "Mixed: several of these (e.g. orders, appointments and promotions)",
    "ACCOUNT_NOTIFICATION": "Account notifications (appointments, bookings, account updates)",
    "CUSTOMER_CARE": "Customer care (support, follow-ups, feedback)",
    "DELIVERY_NOTIFICATION": "Delivery notifications (orders and shipping)",
    "2FA": "Two-factor authentication codes",
    "FRAUD_ALERT": "Fraud alerts",
    "SECURITY_ALERT": "Security alerts",
    "HIGHER_EDUCATION": "Higher education",
    "POLLING_VOTING": "Polling and voting",
    "PUBLIC_SERVICE_ANNOUNCEMENT": "Public service announcements",
    "LOW_VOLUME": "Low-volume mixed",
}
# Use cases whose texts may promote; any other carries no marketing.
MAY_PROMOTE = ("MARKETING", "MIXED", "LOW_VOLUME")
LEGAL_WORDS = {"llc", "inc", "co", "corp", "corporation", "company", "ltd", "limited", "the",
               "of", "lp", "llp", "pllc", "plc", "pc", "group", "holdings", "dba"}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text or "") if s.strip()]


def urls(text: str) -> list[str]:
    """Every web address in ``text``, with or without a scheme, trailing punctuation off."""
    found = [u.rstrip(".,;:!?") for u in URL.findall(text or "")]
    rest = URL.sub(" ", text or "")
    found += [m.group(0).rstrip(".,;:!?") for m in BARE_URL.finditer(rest)
              if not EMAIL.search(rest[max(0, m.start() - 1):m.end()])
              and not _is_email_tail(rest, m.start())]
    return found


def _is_email_tail(text: str, start: int) -> bool:
    return start > 0 and text[start - 1] == "@"


def host_path(url: str) -> str:
    """``https://www.Example.com/Join/`` → ``example.com/join``: how two links are compared."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return f"{host}{parts.path.rstrip('/').lower()}"


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def names_brand(text: str, names: tuple[str, ...]) -> bool:
    """Does ``text`` name the brand in words ("Bloom and Branch" for "Bloom & Branch")? A web
    or email address on the brand's domain does not name it."""
    lower = BARE_URL.sub(" ", EMAIL.sub(" ", URL.sub(" ", (text or "").lower())))
    if any(name.lower() in lower for name in names if name):
        return True
    squashed = _squash(lower)
    return any(_squash(" ".join(name_words(name))) in squashed for name in names
               if name_words(name))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("&", "and"))


def name_words(name: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", (name or "").lower().replace("&", " and "))
    while words and words[-1] in LEGAL_WORDS:
        words.pop()
    return words


def domain_matches(website: str, names: tuple[str, ...]) -> bool:
    """Does the website's domain carry the brand's name ("bloomandbranch.com" for "Bloom &
    Branch"; "acmedental.com" or "acme-dental.com" for "Acme Dental LLC")?"""
    host = (urlsplit(website if "://" in website else f"https://{website}").hostname or "")
    labels = [label for label in host.lower().split(".") if label and label != "www"]
    if len(labels) < 2:
        return False
    core = labels[-2]
    if core in ("co", "com", "org", "net", "gov", "ac") and len(labels) >= 3:
        core = labels[-3]
    compact = core.replace("-", "")
    for name in names:
        words = name_words(name)
        significant = [w for w in words if w not in LEGAL_WORDS and w != "and"]
        if not significant:
            continue
        if compact in ("".join(words), "".join(significant)):
            return True
        if all(w in compact for w in significant if len(w) > 2) and \
                any(len(w) > 2 for w in significant):
            return True
        if len(significant) >= 2 and compact == "".join(w[0] for w in significant):
            return True
        if len(significant[0]) > 3 and compact.startswith(significant[0]):
            return True
    return False
