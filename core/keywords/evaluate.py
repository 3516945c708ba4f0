"""Measure the classifier on a labelled corpus: precision and recall of revocations.

    python -m core.keywords.evaluate tests/data/replies.csv

A missed revocation is the costly error, so recall on ``opt_out`` must be 100%;
``review`` is counted apart (a person decides those).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass, field

from core.builtin.keywords import register_keywords
from core.keywords.classify import OPT_OUT, Vocabulary, classify
from core.keywords.vocabulary import from_specs


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    confusion: Counter = field(default_factory=Counter)
    mistakes: list[tuple[str, str, str]] = field(default_factory=list)

    def _count(self, expected: str | None, got: str | None) -> int:
        return sum(n for (e, g), n in self.confusion.items()
                   if (expected is None or e == expected) and (got is None or g == got))

    @property
    def revocation_recall(self) -> float:
        actual = self._count(OPT_OUT, None)
        return self._count(OPT_OUT, OPT_OUT) / actual if actual else 1.0

    @property
    def revocation_precision(self) -> float:
        predicted = self._count(None, OPT_OUT)
        return self._count(OPT_OUT, OPT_OUT) / predicted if predicted else 1.0

    def lines(self) -> list[str]:
        return [
            f"replies: {self.total}, classified as labelled: {self.correct}",
            f"revocations (opt_out): precision {self.revocation_precision:.3f}, "
            f"recall {self.revocation_recall:.3f}",
            *(f"  expected {e}, got {g}: {t!r}" for t, e, g in self.mistakes),
        ]


def evaluate(rows: list[tuple[str, str]], vocabulary: Vocabulary) -> Report:
    report = Report()
    for text, expected in rows:
        got = classify(text, vocabulary).kind
        report.total += 1
        report.confusion[(expected, got)] += 1
        if got == expected:
            report.correct += 1
        else:
            report.mistakes.append((text, expected, got))
    return report


def read_corpus(path: str) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def main(path: str) -> int:
    report = evaluate(read_corpus(path), from_specs(register_keywords()))
    print("\n".join(report.lines()))
    return 0 if report.revocation_recall == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/replies.csv"))
