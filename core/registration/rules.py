"""The readiness rules, as data: one row per rule (id, field, check, severity, message, fix,
source). Two groups: the registries' documented field limits (``registry``), and the stricter
pre-submission rules reviewers apply (``review``). Plugins add rows through the
``register_registration_rules`` hook.

Each check reads a :class:`core.registration.facts.Registration` and returns one sentence per
problem; an empty list passes. A check of a field that was not given is not run (a pasted
message flow is not blamed for a missing privacy policy); a missing field is the ``.length``
or ``.present`` rule's finding alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from core.gate.rules import content_lists
from core.registration import patterns as p
from core.registration.facts import Registration
from hooks import RegistrationRule

REGISTRY = "Campaign registry field limits (the providers' documented 10DLC campaign fields)"
REVIEW = "Reviewer's field rules (shared/RULES.md: Registering a sender and campaign)"
FLOW = "The message flow must tell where and how each person opts in (shared/RULES.md)"
CONSENT = "What counts as consent (shared/RULES.md)"
TERMS = "Terms of service: the minimum sections (shared/RULES.md)"
PRIVACY = "What counts as consent: web forms and the privacy policy (shared/RULES.md)"
KEYWORD = "Keyword opt-in: the first reply (shared/RULES.md)"
CTIA = "CTIA: STOP and HELP always work; replies name the brand"

Check = Callable[[Registration], Sequence[str]]


def _length(name: str, low: int, high: int, what: str = "") -> Check:
    def check(reg: Registration) -> list[str]:
        text = (reg.text(name) or "").strip()
        if not text:
            return [f"The {what or name.replace('_', ' ')} is empty."]
        if len(text) < low:
            return [f"{len(text):,} characters; at least {low:,} are needed."]
        if len(text) > high:
            return [f"{len(text):,} characters; at most {high:,} are allowed."]
        return []
    return check


def _count(low: int, high: int) -> Check:
    def check(reg: Registration) -> list[str]:
        found = len(reg.samples or ())
        if found < low:
            return [f"{found} sample message(s); at least {low} are needed."]
        if found > high:
            return [f"{found} sample messages; at most {high} are accepted."]
        return []
    return check


def _each_sample(low: int, high: int) -> Check:
    def check(reg: Registration) -> list[str]:
        return [f"Sample {n} has {len(s):,} characters (needs {low:,}–{high:,}): “{s[:60]}”"
                for n, s in enumerate(reg.samples or (), start=1) if not low <= len(s) <= high]
    return check


def _keyword_lists(reg: Registration) -> list[str]:
    lists = {"opt-in": reg.opt_in_keywords or (), "opt-out": reg.opt_out_keywords,
             "help": reg.help_keywords}
    return [f"The {kind} keywords take {len(','.join(words))} characters; 255 at most."
            for kind, words in lists.items() if len(",".join(words)) > 255]


RESERVED = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
            "HELP", "INFO"}


def _reserved_keywords(reg: Registration) -> list[str]:
    return [f"{word} cannot be an opt-in keyword: it always means stop or help."
            for word in reg.opt_in_keywords or () if word.upper() in RESERVED]


def _opt_in_location(reg: Registration) -> list[str]:
    text = reg.message_flow or ""
    if p.urls(text) or p.IN_PERSON.search(text) or _joins(text):
        return []
    if re.search(r"\b(web ?site|online|web page|landing page|our site|app)\b", text, re.I):
        return ["It mentions the website but gives no address: name the page with the form "
                "by its full URL so the reviewer can open it."]
    if p.PAPER.search(text):
        return ["It mentions a paper form but not where it is signed nor a link to its "
                "image."]
    return ["It does not say where or how anyone opts in (“customers sign up” alone is the "
            "most common reason a campaign is rejected): a reviewer must be able to open the "
            "form by its URL, see the paper form's image, or know which keyword to text to "
            "which number."]


TO_NUMBER = re.compile(r"\s*(?:our\s+|the\s+)?(?:(?:short\s*code|number|phone(?:\s+number)?|"
                       r"toll[- ]free(?:\s+number)?)\s+)?[+(]?\d")


def _joins(text: str) -> list[str]:
    """The keywords a text tells people to text in to join ("text JOIN to ..."): a word
    in capitals or quotes, or any word after "the keyword"."""
    found: list[str] = []
    for match in p.KEYWORD_JOIN.finditer(text or ""):
        for token in re.split(r"\s*,\s*|\s+or\s+|\s+and\s+", match.group("words")):
            word = token.strip("\"“”'‘’")
            quoted = word != token
            numbered = bool(TO_NUMBER.match(text, match.end()))  # "text join to 41555"
            if not (quoted or numbered or match.group("named")
                    or (word.isupper() and len(word) > 1)):
                continue
            if word.upper() not in RESERVED and word.lower() not in ("or", "and", "to"):
                found.append(word.upper())
    return found


def _sources_linked(reg: Registration) -> list[str]:
    text = reg.message_flow or ""
    linked = {p.host_path(u) for u in p.urls(text)}
    problems = []
    for source in reg.sources:
        if source.kind == "web_form" and source.url and p.host_path(source.url) not in linked:
            problems.append(f"People opt in on the form “{source.label}”, but the message "
                            f"flow does not link it ({source.url}).")
    return problems


def _keywords_listed(reg: Registration) -> list[str]:
    text = reg.message_flow or ""
    problems = [f"The opt-in keyword {word} is not listed." for word in reg.opt_in_keywords or ()
                if not re.search(rf"\b{re.escape(word)}\b", text, re.I)]
    if reg.opt_in_keywords is not None and reg.from_records:
        known = {w.upper() for w in reg.opt_in_keywords}
        problems += [f"It tells people to text {word}, which is not one of this campaign's "
                     "opt-in keywords: add the keyword or correct the text."
                     for word in dict.fromkeys(_joins(text)) if word not in known]
    return problems


def _keyword_number(reg: Registration) -> list[str]:
    text = reg.message_flow or ""
    if not (_joins(text) or (reg.opt_in_keywords and any(
            re.search(rf"\b{re.escape(w)}\b", text, re.I) for w in reg.opt_in_keywords))):
        return []
    numbers = p.PHONE_NUMBER.findall(text)
    if not numbers:
        return ["It names a keyword but not the number or short code to text it to."]
    if reg.numbers:
        flat = p.digits(text)
        if not any(p.digits(n)[-10:] in flat for n in reg.numbers):
            return [f"The number given is not this campaign's sender ({', '.join(reg.numbers)})."]
    return []


def _paper_image(reg: Registration) -> list[str]:
    text = reg.message_flow or ""
    if not p.PAPER.search(text):
        return []
    if any(p.IMAGE_LINK.search(u) for u in p.urls(text)):
        return []
    return ["It mentions a paper form without a link to a hosted image of it; reviewers "
            "need to see the form people sign."]


def _flow_opt_out(reg: Registration) -> list[str]:
    if p.STOP_WORD.search(reg.message_flow or "") or re.search(
            r"\b(opt[- ]?out|unsubscribe)\b", reg.message_flow or "", re.I):
        return []
    return ["It does not say how people opt out (e.g. “reply STOP at any time”)."]


def _flow_help(reg: Registration) -> list[str]:
    return [] if p.HELP_WORD.search(reg.message_flow or "") else [
        "It does not say how people get help (“reply HELP”)."]


def _negated(sentence: str) -> bool:
    return bool(p.NEGATION.search(sentence)) and not p.EXCEPTION.search(sentence)


def _unprovable(reg: Registration) -> list[str]:
    found = []
    for sentence in p.sentences(reg.message_flow or ""):
        match = p.UNPROVABLE.search(sentence)
        if match and not _negated(sentence):
            found.append(f"“{match.group(0)}”: consent from bought or shared lists, partners "
                         "or a phone call cannot be proved and does not count.")
    return found


def _samples_brand(reg: Registration) -> list[str]:
    return [f"Sample {n} does not name the brand: “{s[:60]}”"
            for n, s in enumerate(reg.samples or (), start=1)
            if reg.brand_names and not p.names_brand(s, reg.brand_names)]


def _samples_opt_out(reg: Registration) -> list[str]:
    problems = []
    for n, sample in enumerate(reg.samples or (), start=1):
        last = (p.sentences(sample) or [""])[-1]
        if not p.OPT_OUT.search(last):
            problems.append(f"Sample {n} does not end with how to opt out (“Reply STOP to "
                            f"opt out”): “{sample[:60]}”")
    return problems


def _samples_use_case(reg: Registration) -> list[str]:
    use_case = (reg.use_case or "").upper()
    samples = reg.samples or ()
    if not samples or not use_case:
        return []
    problems = []
    if use_case not in p.MAY_PROMOTE:
        problems += [f"Sample {n} promotes (“{p.PROMOTION.search(s).group(0)}”) but the use "
                     f"case {use_case} carries no marketing." for n, s in enumerate(samples, 1)
                     if p.PROMOTION.search(s)]
    words = p.USE_CASE_WORDS.get(use_case)
    if words is not None and not any(words.search(s) for s in samples):
        problems.append(f"No sample looks like a {use_case} message.")
    return problems


def _shorteners(reg: Registration) -> list[str]:
    hosts = content_lists()["public_shorteners"]
    problems = []
    for name, text in reg.everything():
        for url in p.urls(text):
            host = p.host_path(url).split("/", 1)[0]
            if any(host == d or host.endswith("." + d) for d in hosts):
                problems.append(f"{url} in the {name.replace('_', ' ')} is a public URL "
                                "shortener.")
    return problems


def _forms_disclose(reg: Registration) -> list[str]:
    from core.capture.rules import form_disclosure_problems, sentence

    problems = []
    for source in reg.sources:
        if source.kind != "web_form" or source.disclosure is None:
            continue
        missing = form_disclosure_problems(source.disclosure, _Names(reg.brand_names),
                                           terms_url=reg.terms_url, privacy_url=reg.privacy_url)
        if missing:
            problems.append(f"The form “{source.label}” ({source.url}) lacks {sentence(missing)}.")
    return problems


class _Names:
    """The brand's names as the capture rules read them."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.public_name = names[0] if names else None
        self.legal_name = names[1] if len(names) > 1 else None


def _present(name: str, what: str) -> Check:
    def check(reg: Registration) -> list[str]:
        return [] if (reg.text(name) or "").strip() else [f"No {what} to check."]
    return check


def _privacy_not_shared(reg: Registration) -> list[str]:
    problems = []
    states_not_shared = False
    for sentence in p.sentences(reg.privacy or ""):
        for clause in re.split(r",\s*but\b|;|\bhowever\b|\bexcept\b|\bother than\b|"
                               r"\bapart from\b|\bunless\b", sentence, flags=re.I):
            parties, transfer = p.PARTIES.search(clause), p.TRANSFER.search(clause)
            negated = bool(p.NEGATION.search(clause))
            if parties and not negated:
                problems.append(f"“{sentence[:120]}” mentions {parties.group(0)}: any "
                                "wording about sharing with affiliates or partners is rejected.")
                break
            if transfer and p.MOBILE.search(clause) and negated:
                states_not_shared = True
    if not states_not_shared:
        problems.insert(0, "It does not state that mobile numbers are not shared (e.g. "
                           "“Mobile numbers and SMS consent are never shared or sold.”).")
    return problems


def _has(pattern: re.Pattern, text_of: Callable[[Registration], str | None],
         missing: str) -> Check:
    def check(reg: Registration) -> list[str]:
        return [] if pattern.search(text_of(reg) or "") else [missing]
    return check


def _brand_named(name: str) -> Check:
    def check(reg: Registration) -> list[str]:
        text = reg.text(name) or ""
        if not reg.brand_names or p.names_brand(text, reg.brand_names):
            return []
        return [f"It does not name the brand ({' or '.join(reg.brand_names)})."]
    return check


def _links_terms(reg: Registration) -> list[str]:
    text = reg.call_to_action or ""
    if re.search(r"\bterms\b", text, re.I) and (p.urls(text)):
        return []
    return ["It does not link the terms (“Terms: https://…/terms”)."]


def _terms_help(reg: Registration) -> list[str]:
    text = reg.terms or ""
    if p.HELP_WORD.search(text) and (p.EMAIL.search(text) or p.PHONE_NUMBER.search(text)
                                     or p.urls(text)):
        return []
    return ["No help section: reply HELP, or the support email or phone."]


def _terms_cancel(reg: Registration) -> list[str]:
    text = reg.terms or ""
    if p.STOP_WORD.search(text) and re.search(
            r"\b(cancel\w*|unsubscrib\w*|opt[- ]?out|no (longer|more|further))\b", text, re.I):
        return []
    return ["No cancellation section: text STOP at any time, a confirmation follows and no "
            "more texts after it."]


def _terms_carrier(reg: Registration) -> list[str]:
    text = reg.terms or ""
    if re.search(r"carriers?\b[^.]{0,100}\b(not|n't)\b[^.]{0,40}\b(liable|responsible)|"
                 r"\b(liable|responsible)\b[^.]{0,80}\bcarriers?\b", text, re.I):
        return []
    return ["No carrier liability section: carriers are not liable for delayed or "
            "undelivered messages."]


def _terms_fees(reg: Registration) -> list[str]:
    text = reg.terms or ""
    missing = [what for what, pattern in (("that message and data rates may apply", p.RATES),
                                          ("how often messages come", p.HOW_OFTEN))
               if not pattern.search(text)]
    return [f"The fees and frequency section does not say {' nor '.join(missing)}."] \
        if missing else []


def _terms_program(reg: Registration) -> list[str]:
    text = reg.terms or ""
    if p.WHAT.search(text) and re.search(r"\b(messages?|texts?|sms)\b", text, re.I):
        return []
    return ["No program section: what messages people will get."]


def _terms_privacy(reg: Registration) -> list[str]:
    text = reg.terms or ""
    return [] if re.search(r"\bprivacy\b", text, re.I) and p.urls(text) else [
        "No privacy section linking the privacy policy."]


def _website_domain(reg: Registration) -> list[str]:
    if not reg.website:
        return ["No website: the brand needs a live website that shows the brand."]
    if not reg.brand_names or p.domain_matches(reg.website, reg.brand_names):
        return []
    return [f"{p.host_path(reg.website).split('/')[0]} does not carry the brand's name "
            f"({' or '.join(reg.brand_names)})."]


def _reply_joined(reg: Registration) -> list[str]:
    text = reg.opt_in_reply or ""
    if p.WHAT.search(text) or re.search(r"\b(subscribed|joined|signed up|enrolled|opted in|"
                                        r"welcome)\b", text, re.I):
        return []
    return ["It does not confirm what they joined (“You're subscribed to Bloom & Branch "
            "offers”)."]


def _help_contact(reg: Registration) -> list[str]:
    text = reg.help_reply or ""
    if p.EMAIL.search(text) or p.PHONE_NUMBER.search(text) or p.urls(text):
        return []
    return ["It gives no way to reach support (email, phone or web page)."]


def _unsubscribed(reg: Registration) -> list[str]:
    text = reg.opt_out_reply or ""
    if re.search(r"\b(unsubscribed|opted out|removed|no (more|further|longer))\b", text, re.I):
        return []
    return ["It does not confirm they are unsubscribed and will get no more texts."]


def _rule(id: str, field: str, check: Check, severity: str, message: str, fix: str,
          source: str, group: str = "review") -> RegistrationRule:
    return RegistrationRule(id, field, check, severity, message, fix, source, group)


REGISTRY_RULES = [
    _rule("description.registry_length", "description", _length("description", 40, 4096),
          "blocks", "The campaign description must be 40–4,096 characters.",
          "Write who receives messages and why.", REGISTRY, "registry"),
    _rule("message_flow.registry_length", "message_flow", _length("message_flow", 40, 2048),
          "blocks", "The message flow must be 40–2,048 characters.",
          "Describe every way people opt in; the generator writes one from your forms and "
          "keywords.", REGISTRY, "registry"),
    _rule("samples.registry_count", "samples", _count(2, 5), "blocks",
          "A campaign carries 2 to 5 sample messages.", "Add or remove samples.", REGISTRY,
          "registry"),
    _rule("samples.registry_length", "samples", _each_sample(20, 1024), "blocks",
          "Each sample message is 20–1,024 characters.", "Shorten or complete the sample.",
          REGISTRY, "registry"),
    _rule("opt_in_reply.registry_length", "opt_in_reply", _length("opt_in_reply", 20, 320,
                                                                   "opt-in reply"),
          "blocks", "The opt-in confirmation is 20–320 characters.",
          "Edit the campaign's opt-in confirmation.", REGISTRY, "registry"),
    _rule("opt_out_reply.registry_length", "opt_out_reply", _length("opt_out_reply", 20, 320,
                                                                     "opt-out reply"),
          "blocks", "The opt-out (STOP) reply is 20–320 characters.",
          "Shorten the brand's public name.", REGISTRY, "registry"),
    _rule("help_reply.registry_length", "help_reply", _length("help_reply", 20, 320,
                                                               "help reply"),
          "blocks", "The HELP reply is 20–320 characters.", "Edit the campaign's help text.",
          REGISTRY, "registry"),
    _rule("keywords.registry_length", "keywords", _keyword_lists, "blocks",
          "Each keyword list is at most 255 characters, comma-separated.",
          "Drop keywords nobody uses.", REGISTRY, "registry"),
]

REVIEW_RULES = [
    _rule("keywords.reserved", "keywords", _reserved_keywords, "blocks",
          "STOP, HELP and their family always mean stop or help; they cannot join anyone.",
          "Choose another opt-in keyword (JOIN, the brand's name...).", CTIA),
    _rule("description.length", "description", _length("description", 100, 4096), "likely",
          "Reviewers expect a description of at least 100 characters: who receives messages "
          "and why.", "Say who the messages go to, what they are about and why people get "
          "them.", REVIEW),
    _rule("message_flow.length", "message_flow", _length("message_flow", 200, 2000), "likely",
          "Reviewers expect a message flow of 200–2,000 characters: a short flow is almost "
          "always too vague to verify.", "Use the generated message flow, or tell the "
          "whole story: where, how, what people see, how to stop.", REVIEW),
    _rule("message_flow.opt_in_location", "message_flow", _opt_in_location, "likely",
          "The message flow must say where and how people opt in, in a way the reviewer can "
          "check: the form's URL, in store, the keyword and its number, or a paper form with "
          "a link to its image.",
          "Name each place: “on our website at https://…/join (self-service)”, “in store, "
          "at the counter, on a paper form (image: https://…)”, “by texting JOIN to …”.",
          FLOW),
    _rule("message_flow.sources", "message_flow", _sources_linked, "likely",
          "Every hosted opt-in form people use must be linked in the message flow, so the "
          "reviewer can open it.", "Add the form's URL (the generator does).", FLOW),
    _rule("message_flow.keywords", "message_flow", _keywords_listed, "likely",
          "Every opt-in keyword must be listed in the message flow, and only real ones.",
          "List each keyword with the number to text it to.", FLOW),
    _rule("message_flow.keyword_number", "message_flow", _keyword_number, "likely",
          "A keyword opt-in names the number or short code it is texted to.",
          "Add the sender's number: “text JOIN to +1 415 555 0142”.", FLOW),
    _rule("message_flow.paper_image", "message_flow", _paper_image, "likely",
          "A paper opt-in needs a hosted link to an image of the form.",
          "Link the form's paper image (each hosted form has one at /f/<slug>/paper.svg).",
          FLOW),
    _rule("message_flow.opt_out", "message_flow", _flow_opt_out, "likely",
          "The message flow says how people opt out.", "Add “Reply STOP at any time to "
          "opt out; a confirmation follows and no more texts are sent.”", FLOW),
    _rule("message_flow.help", "message_flow", _flow_help, "advice",
          "Saying how to get help (HELP) shows the reviewer the whole program.",
          "Add “Reply HELP for help.”", FLOW),
    _rule("message_flow.unprovable_consent", "message_flow", _unprovable, "blocks",
          "Consent bought or transferred from lists, partners' consent and verbal consent "
          "cannot be proved: claiming them gets the campaign rejected, and texting on them "
          "breaks the law.", "Describe only opt-ins your own forms, keywords and paper forms "
          "collect; ask others to text in first.", CONSENT),
    _rule("samples.count", "samples", _count(3, 5), "likely",
          "Reviewers expect at least 3 sample messages.", "Add samples from each flow that "
          "sends under this campaign (the generator takes them from the real flows).", REVIEW),
    _rule("samples.length", "samples", _each_sample(50, 1024), "likely",
          "Each sample should have at least 50 characters, as the text really reads.",
          "Write the sample in full, with the brand and opt-out.", REVIEW),
    _rule("samples.brand", "samples", _samples_brand, "likely",
          "Every sample names the brand.", "Start each sample with the brand: "
          "“Bloom & Branch: …”.", REVIEW),
    _rule("samples.opt_out", "samples", _samples_opt_out, "likely",
          "Every sample ends with how to opt out.", "End with “Reply STOP to opt out.”",
          REVIEW),
    _rule("samples.use_case", "samples", _samples_use_case, "likely",
          "Samples must match the campaign's use case: what will really be sent.",
          "Use samples from the campaign's flows, or choose the use case that fits (MIXED "
          "for several kinds).", REVIEW),
    _rule("links.no_shorteners", "links", _shorteners, "likely",
          "Public URL shorteners (bit.ly, tinyurl...) are filtered by carriers and rejected "
          "in registrations.", "Use the full URL or a branded link on your own domain.",
          REVIEW),
    _rule("website.domain", "website", _website_domain, "likely",
          "The website's domain must match the brand, so a reviewer can tell who sends.",
          "Use the brand's own website, or register the brand under the name the site "
          "shows.", REVIEW),
    _rule("call_to_action.present", "call_to_action", _present("call_to_action",
                                                              "call to action"),
          "likely", "The call to action is what people see where they opt in; reviewers read "
          "it.", "Generate one, then put the same words on your forms.", CONSENT),
    _rule("call_to_action.brand", "call_to_action", _brand_named("call_to_action"), "likely",
          "The call to action names the business.", "Name the brand in it.", CONSENT),
    _rule("call_to_action.messages", "call_to_action",
          _has(p.WHAT, lambda r: r.call_to_action, "It does not say what messages will come."),
          "likely", "The call to action says what messages will come.",
          "Say “promotional offers”, “order updates”...", CONSENT),
    _rule("call_to_action.frequency", "call_to_action",
          _has(p.HOW_OFTEN, lambda r: r.call_to_action, "It does not say how often."),
          "likely", "The call to action says how often messages come.",
          "Add “Msg frequency varies” or “Up to 4 msgs/mo”.", CONSENT),
    _rule("call_to_action.rates", "call_to_action",
          _has(p.RATES, lambda r: r.call_to_action, "It lacks “Msg & data rates may apply”."),
          "likely", "The call to action says message and data rates may apply.",
          "Add “Msg & data rates may apply.”", CONSENT),
    _rule("call_to_action.not_a_condition", "call_to_action",
          _has(p.NOT_A_CONDITION, lambda r: r.call_to_action,
               "It does not say consent is not a condition of purchase."),
          "likely", "The call to action says consent is not a condition of purchase.",
          "Add “Consent is not a condition of purchase.”", CONSENT),
    _rule("call_to_action.opt_out", "call_to_action",
          _has(p.STOP_WORD, lambda r: r.call_to_action, "It does not say how to stop."),
          "likely", "The call to action says how to opt out.", "Add “Reply STOP to cancel.”",
          CONSENT),
    _rule("call_to_action.terms", "call_to_action", _links_terms, "likely",
          "The call to action links the terms (which link the privacy policy).",
          "Add “Terms: <your terms URL>”.", CONSENT),
    _rule("forms.call_to_action", "forms", _forms_disclose, "likely",
          "Each published opt-in form shows the full call to action: the brand, what messages "
          "and how often, rates, not a condition of purchase, STOP and HELP, the terms and "
          "privacy links, and nothing about partners.",
          "Publish a new disclosure version on the form with what is missing.", CONSENT),
    _rule("terms.present", "terms", _present("terms", "SMS terms"), "likely",
          "The SMS terms are public and cover the program.",
          "Generate the terms, publish them as a hosted page, or read your live page.", TERMS),
    _rule("terms.program", "terms", _terms_program, "likely",
          "The terms say what messages people will get.", "Add a program section.", TERMS),
    _rule("terms.cancellation", "terms", _terms_cancel, "likely",
          "The terms say how to cancel: STOP at any time, one confirmation, no more texts.",
          "Add a cancellation section.", TERMS),
    _rule("terms.help", "terms", _terms_help, "likely",
          "The terms say how to get help: HELP, or the support email or phone.",
          "Add a help section with the support contacts.", TERMS),
    _rule("terms.carrier_liability", "terms", _terms_carrier, "likely",
          "The terms say carriers are not liable for delayed or undelivered messages.",
          "Add a carrier liability section.", TERMS),
    _rule("terms.fees_frequency", "terms", _terms_fees, "likely",
          "The terms say message and data rates may apply and how often messages come.",
          "Add a fees and frequency section.", TERMS),
    _rule("terms.privacy", "terms", _terms_privacy, "likely",
          "The terms link the privacy policy.", "Add a privacy section with its URL.", TERMS),
    _rule("privacy.present", "privacy", _present("privacy", "privacy policy"), "likely",
          "The privacy policy covers text messaging.", "Generate the SMS clause and add it to "
          "your policy (or publish it as a hosted page), or read your live page.", PRIVACY),
    _rule("privacy.no_sharing", "privacy", _privacy_not_shared, "likely",
          "The privacy policy states that mobile numbers are not shared, and says nothing "
          "about sharing with affiliates or partners in any wording: such wording is "
          "rejected outright.", "Remove any sharing with affiliates, partners or third "
          "parties; say “Mobile numbers and SMS consent are never shared with or sold to "
          "anyone.”", PRIVACY),
    _rule("privacy.frequency", "privacy",
          _has(p.HOW_OFTEN, lambda r: r.privacy, "It does not state the message frequency."),
          "likely", "The privacy policy states how often messages come.",
          "Add “Message frequency varies” or the real frequency.", PRIVACY),
    _rule("privacy.rates", "privacy",
          _has(p.RATES, lambda r: r.privacy, "It lacks “Message and data rates may apply”."),
          "likely", "The privacy policy states that message and data rates may apply.",
          "Add “Message and data rates may apply.”", PRIVACY),
    _rule("opt_in_reply.brand", "opt_in_reply", _brand_named("opt_in_reply"), "likely",
          "The first reply to a keyword names the brand.", "Start it with the brand.",
          KEYWORD),
    _rule("opt_in_reply.confirmation", "opt_in_reply", _reply_joined, "likely",
          "The first reply confirms what the person joined.",
          "Say “you're subscribed to … alerts”.", KEYWORD),
    _rule("opt_in_reply.frequency", "opt_in_reply",
          _has(p.HOW_OFTEN, lambda r: r.opt_in_reply, "It does not say how often."),
          "likely", "The first reply says how often messages come.",
          "Set the campaign's message frequency.", KEYWORD),
    _rule("opt_in_reply.opt_out", "opt_in_reply",
          _has(p.STOP_WORD, lambda r: r.opt_in_reply, "It does not say how to stop."),
          "likely", "The first reply says how to opt out.", "Add “Reply STOP to cancel.”",
          KEYWORD),
    _rule("opt_out_reply.brand", "opt_out_reply", _brand_named("opt_out_reply"), "likely",
          "The STOP confirmation names the brand.", "Set the brand's public name.", CTIA),
    _rule("opt_out_reply.confirmation", "opt_out_reply", _unsubscribed, "likely",
          "The STOP confirmation says the person is unsubscribed and gets no more texts.",
          "Say “You are unsubscribed and will get no more texts.”", CTIA),
    _rule("help_reply.brand", "help_reply", _brand_named("help_reply"), "likely",
          "The HELP reply names the brand.", "Start it with the brand.", CTIA),
    _rule("help_reply.contact", "help_reply", _help_contact, "likely",
          "The HELP reply gives a way to reach support.",
          "Add the support email or phone to the brand.", CTIA),
]

RULES = REGISTRY_RULES + REVIEW_RULES
