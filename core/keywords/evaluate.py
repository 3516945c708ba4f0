"""Measure the classifier on a labelled corpus: precision and recall for every class.

    consentdesk keywords evaluate tests/data/replies.csv

The CSV has a ``text`` and a ``label`` column (``opt_out``, ``help``, ``opt_in``, ``review`` or
``none``); other columns are ignored. Two figures decide whether the classifier is fit to
run: the recall of ``opt_out`` (a missed revocation is a text sent to someone who said no)
and the false opt-outs (a person opted out of everything for saying "stop by Friday").
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from core.keywords.classify import KINDS, OPT_OUT, Vocabulary, classify


class CorpusError(ValueError):
    """A labelled file that cannot be read; the message names the line."""


@dataclass
class Report:
    total: int = 0
    confusion: Counter = field(default_factory=Counter)  # (expected, got) -> count
    mistakes: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, expected: str | None = None, got: str | None = None) -> int:
        return sum(n for (e, g), n in self.confusion.items()
                   if (expected is None or e == expected) and (got is None or g == got))

    def precision(self, kind: str) -> float | None:
        predicted = self.count(got=kind)
        return self.count(kind, kind) / predicted if predicted else None

    def recall(self, kind: str) -> float | None:
        actual = self.count(expected=kind)
        return self.count(kind, kind) / actual if actual else None

    @property
    def correct(self) -> int:
        return sum(n for (e, g), n in self.confusion.items() if e == g)

    @property
    def revocation_recall(self) -> float:
        value = self.recall(OPT_OUT)
        return 1.0 if value is None else value

    @property
    def revocation_precision(self) -> float:
        value = self.precision(OPT_OUT)
        return 1.0 if value is None else value

    @property
    def false_opt_outs(self) -> int:
        return self.count(got=OPT_OUT) - self.count(OPT_OUT, OPT_OUT)

    def as_dict(self) -> dict[str, Any]:
        return {
            "texts": self.total, "classified_as_labelled": self.correct,
            "classes": {kind: {"precision": self.precision(kind), "recall": self.recall(kind),
                               "support": self.count(expected=kind),
                               "predicted": self.count(got=kind)} for kind in KINDS},
            "false_opt_outs": self.false_opt_outs,
            "confusion": {f"{e}->{g}": n for (e, g), n in sorted(self.confusion.items())},
            "mistakes": [{"text": t, "expected": e, "got": g} for t, e, g in self.mistakes],
        }

    def lines(self, show_mistakes: bool = True) -> list[str]:
        def pct(value: float | None) -> str:
            return "    -" if value is None else f"{value:.3f}"

        out = [f"texts: {self.total}, classified as labelled: {self.correct} "
               f"({self.correct / self.total:.1%})" if self.total else "texts: 0",
               "", f"{'class':<8} {'precision':>9} {'recall':>7} {'support':>8} {'predicted':>9}"]
        out += [f"{kind:<8} {pct(self.precision(kind)):>9} {pct(self.recall(kind)):>7} "
                f"{self.count(expected=kind):>8} {self.count(got=kind):>9}" for kind in KINDS]
        out += ["", f"false opt-outs (labelled otherwise, classified opt_out): "
                    f"{self.false_opt_outs}"]
        if show_mistakes and self.mistakes:
            out += ["", "mistakes:"]
            out += [f"  expected {e:<7} got {g:<7} {t!r}" for t, e, g in self.mistakes]
        return out


def evaluate(rows: list[tuple[str, str]], vocabulary: Vocabulary) -> Report:
    report = Report()
    for text, expected in rows:
        got = classify(text, vocabulary).kind
        report.total += 1
        report.confusion[(expected, got)] += 1
        if got != expected:
            report.mistakes.append((text, expected, got))
    return report


def read_corpus(path: str) -> list[tuple[str, str]]:
    """``(text, label)`` pairs; a missing column or an unknown label is a CorpusError."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = {name.strip().lower(): name for name in reader.fieldnames or ()}
        if "text" not in columns or "label" not in columns:
            raise CorpusError(f"{path}: needs a 'text' and a 'label' column "
                              f"(found: {', '.join(reader.fieldnames or ()) or 'none'})")
        rows = []
        for line, row in enumerate(reader, start=2):
            label = (row[columns["label"]] or "").strip().lower()
            if label not in KINDS:
                raise CorpusError(f"{path}, line {line}: label {label!r} is not one of "
                                  f"{', '.join(KINDS)}")
            rows.append((row[columns["text"]] or "", label))
        return rows
