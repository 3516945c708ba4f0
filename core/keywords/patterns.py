"""A small pattern language over normalised words, so that rules stay readable data.

A pattern is words separated by spaces; each is one of:

- ``stop`` — that word; ``stop|quit`` — either word;
- ``{messages}`` — any entry of the slot ``messages`` (an entry may be several words);
- ``...`` — a gap of up to three words; ``...!{messages}`` — a gap without those words;
- ``!{messages}`` — one word that is not an entry of the slot;
- ``^`` / ``$`` — the start / end of the clause;
- any of them followed by ``?`` is optional; ``{det?}`` is the same as ``{det}?``.

``{halt} ... {messages}`` matches "stop sending me these texts"; ``take {me} off`` matches
"take my number off". Matching is on whole words of the normalised, spell-corrected text.
A match's *weight* is the number of words it matched outside its gaps: when a harmless
reading ("stop by") and a revocation ("stop ... texts") overlap, the heavier one wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

GAP_WORDS = 3
TOKEN = re.compile(r"^(\.\.\.(?:!\{(?P<not>[a-z_]+)\})?|!\{(?P<other>[a-z_]+)\}"
                   r"|\{(?P<slot>[a-z_]+)(?P<inner>\?)?\}|\^|\$|[^\s{}?]+)(?P<optional>\?)?$")


class PatternError(ValueError):
    """A pattern that cannot be compiled; the message names the problem."""


@dataclass(frozen=True)
class Match:
    start: int  # character offsets in the clause text
    end: int
    weight: int
    text: str


def _alternatives(entries: Sequence[str]) -> str:
    ordered = sorted(set(entries), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(e) for e in ordered) + ")"


def _slot(name: str, slots: Mapping[str, Sequence[str]]) -> Sequence[str]:
    if name not in slots or not slots[name]:
        raise PatternError(f"unknown or empty slot {{{name}}}")
    return slots[name]


def compile_pattern(pattern: str, slots: Mapping[str, Sequence[str]]) -> re.Pattern[str]:
    """A regex matching ``pattern`` at any word boundary of ``" " + clause``. Gaps are
    named groups ``g0``, ``g1``... so that :func:`find` can weigh a match."""
    parts, gaps = [], 0
    words = pattern.split()
    if not words:
        raise PatternError("empty pattern")
    for word in words:
        token = TOKEN.match(word)
        if token is None:
            raise PatternError(f"cannot read {word!r} in {pattern!r}")
        body = token.group(1)
        optional = bool(token.group("optional") or token.group("inner"))
        if body == "^":
            parts.append("^")
            continue
        if body == "$":
            parts.append("$")
            continue
        if body.startswith("..."):
            if token.group("not"):
                banned = _alternatives(_slot(token.group("not"), slots))
                piece = rf"(?: (?!{banned}(?= |$))\S+){{0,{GAP_WORDS}}}"
            else:
                piece = rf"(?: \S+){{0,{GAP_WORDS}}}"
            parts.append(f"(?P<g{gaps}>{piece})")
            gaps += 1
            continue
        if token.group("other"):
            banned = _alternatives(_slot(token.group("other"), slots))
            piece = rf" (?!{banned}(?= |$))\S+"
            parts.append(f"(?:{piece})?" if optional else piece)
            continue
        if token.group("slot"):
            choice = _alternatives(_slot(token.group("slot"), slots))
        else:
            choice = _alternatives(body.split("|"))
        piece = f" {choice}(?= |$)"
        parts.append(f"(?:{piece})?" if optional else piece)
    # A lookahead finds overlapping matches: one may start at every word.
    return re.compile(f"(?=(?P<all>{''.join(parts)}))")


def find(compiled: re.Pattern[str], spaced: str) -> list[Match]:
    """Every match of ``compiled`` in ``spaced`` (the clause with a leading space)."""
    found = []
    for hit in compiled.finditer(spaced):
        start, end = hit.span("all")
        if end <= start:
            continue
        text = spaced[start:end]
        gap_words = sum(len(value.split()) for name, value in hit.groupdict().items()
                        if name.startswith("g") and value)
        found.append(Match(start, end, len(text.split()) - gap_words, text.strip()))
    return found


def overlaps(a: Match, b: Match) -> bool:
    return a.start < b.end and b.start < a.end
