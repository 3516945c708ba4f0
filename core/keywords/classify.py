"""Decide what an inbound text means for consent: opt_out, help, opt_in, review or none.

Order of precedence, on the normalised text:
1. the whole text is a keyword (opt-out before help before opt-in), spaces ignored
   (``OPT OUT`` is ``OPTOUT``);
2. the text contains a revocation phrase in any language ("please stop texting me",
   "wrong number", "no mas"), or is only opt-out keywords and filler ("stop please",
   "STOP STOP") -> opt_out;
3. an opt-out keyword appears inside a longer text ("see you at the end of the day")
   -> review: a person decides, it is never acted on silently, never ignored;
4. anything else -> none, and consent is not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.keywords.normalize import normalize

OPT_OUT, HELP, OPT_IN, REVIEW, NONE = "opt_out", "help", "opt_in", "review", "none"


@dataclass(frozen=True)
class Vocabulary:
    """Normalised keyword and phrase sets; built from the database and a campaign."""

    opt_out: frozenset[str]
    help: frozenset[str]
    opt_in: frozenset[str]
    phrases: frozenset[str]
    filler: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, opt_out: Iterable[str], help: Iterable[str], opt_in: Iterable[str],
              phrases: Iterable[str], filler: Iterable[str] = ()) -> Vocabulary:
        def norm(words: Iterable[str]) -> frozenset[str]:
            return frozenset(n for n in (normalize(w) for w in words) if n)

        return cls(norm(opt_out), norm(help), norm(opt_in), norm(phrases), norm(filler))

    def with_campaign(self, opt_in: Iterable[str] = (), opt_out: Iterable[str] = (),
                      help: Iterable[str] = ()) -> Vocabulary:
        extra = Vocabulary.build(opt_out, help, opt_in, ())
        return Vocabulary(self.opt_out | extra.opt_out, self.help | extra.help,
                          self.opt_in | extra.opt_in, self.phrases, self.filler)


@dataclass(frozen=True)
class Classification:
    kind: str
    normalized: str
    matched: str | None = None
    reason: str = ""


def _compact(text: str) -> str:
    return text.replace(" ", "")


def _exact(text: str, words: frozenset[str]) -> str | None:
    if text in words:
        return text
    compact = _compact(text)
    return next((w for w in words if _compact(w) == compact), None)


def _contains_phrase(text: str, phrase: str) -> bool:
    return f" {phrase} " in f" {text} "


def classify(text: str, vocabulary: Vocabulary) -> Classification:
    normalized = normalize(text)
    if not normalized:
        return Classification(NONE, normalized, reason="empty after normalising")
    for kind, words in ((OPT_OUT, vocabulary.opt_out), (HELP, vocabulary.help),
                        (OPT_IN, vocabulary.opt_in)):
        matched = _exact(normalized, words)
        if matched:
            return Classification(kind, normalized, matched, "the whole message is a keyword")
    phrase = next((p for p in sorted(vocabulary.phrases, key=len, reverse=True)
                   if _contains_phrase(normalized, p)), None)
    if phrase:
        return Classification(OPT_OUT, normalized, phrase, "revocation phrase")
    words = normalized.split()
    keywords = [w for w in words if w in vocabulary.opt_out]
    if keywords and all(w in vocabulary.opt_out or w in vocabulary.filler for w in words):
        return Classification(OPT_OUT, normalized, keywords[0], "opt-out keyword with filler")
    if keywords:
        return Classification(REVIEW, normalized, keywords[0],
                              "opt-out word inside a longer message")
    return Classification(NONE, normalized, reason="no keyword or phrase")
