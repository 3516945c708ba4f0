"""Put misspelt and run-together words back into the words the rules are written in.

Three steps per word, in order:

1. letters repeated three times or more count once ("stoppp", "pleeease");
2. a listed spelling becomes its word ("stpo" -> "stop", "unsubcribe" -> "unsubscribe");
   a listed spelling may stand for several words ("stoptexting" -> "stop texting") or be
   several words ("un subscribe" -> "unsubscribe");
3. a long word one or two edits away from a trigger word becomes it ("unsubscirbe"),
   unless it is a real word listed as a near miss ("subscribe" is not "unsubscribe").

The lists are data (``spelling`` rows of the keyword table); only the method lives here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

REPEATS = re.compile(r"([^\W\d_])\1{2,}")
FUZZY_MIN_LENGTH = 7  # shorter words are too close to everyday ones ("stop"/"shop")


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance with transpositions, giving up (returning limit + 1) past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    def __init__(self, spellings: Mapping[str, str], fuzzy_targets: Iterable[str],
                 known_words: Iterable[str]):
        self.spellings = {k: v for k, v in spellings.items() if " " not in k}
        phrases = sorted((k for k in spellings if " " in k), key=len, reverse=True)
        self.phrases = {k: spellings[k] for k in phrases}
        self._phrase = (re.compile("(?<!\\S)(" + "|".join(map(re.escape, phrases)) + ")(?!\\S)")
                        if phrases else None)
        self.targets = tuple(sorted({t for t in fuzzy_targets if len(t) >= FUZZY_MIN_LENGTH}))
        self.known = frozenset(known_words)
        self._word = lru_cache(maxsize=8192)(self._correct_word)

    def correct(self, text: str) -> str:
        if self._phrase is not None:
            text = self._phrase.sub(lambda m: self.phrases[m.group(1)], text)
        return " ".join(self._word(word) for word in text.split())

    def _correct_word(self, word: str) -> str:
        word = REPEATS.sub(r"\1", word)
        if word in self.spellings:
            return self.spellings[word]
        if len(word) < FUZZY_MIN_LENGTH or word in self.known:
            return word
        for target in self.targets:
            limit = 1 if len(target) < 9 else 2
            if target[0] == word[0] and damerau_levenshtein(word, target, limit) <= limit:
                return target
        return word
