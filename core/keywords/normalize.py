"""Bring an inbound text to a canonical form before any matching.

Unicode NFKC (full-width ＳＴＯＰ becomes STOP), a stop-sign emoji read as "stop",
case-folding, accents removed (NO MÁS matches no mas), zero-width characters dropped,
punctuation and symbols (other emoji included) turned into spaces, whitespace collapsed. Apostrophes inside words are kept ("don't").
"""

from __future__ import annotations

import unicodedata

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"))
# Signs that say "stop" without a word: a stop sign alone is a reasonable way to revoke.
STOP_SIGNS = {**dict.fromkeys(map(ord, "\U0001f6d1\u26d4\U0001f6ab"), " stop "),
              ord("#"): " number "}  # "wrong #"
APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u02bc\uff07`\u00b4"), "'")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _keep(ch: str) -> bool:
    return ch.isalnum() or ch == "'"


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(ZERO_WIDTH).translate(STOP_SIGNS)
    text = _strip_accents(text.translate(APOSTROPHES)).casefold()
    spaced = "".join(ch if _keep(ch) else " " for ch in text)
    words = [word.strip("'") for word in spaced.split()]
    return " ".join(word for word in words if word)
