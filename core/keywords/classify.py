"""Decide what an inbound text means for consent: opt_out, help, opt_in, review or none.

The rules are data (the keyword table, filled by ``register_keywords``); this module is the
method that reads them:

1. The whole text is a keyword, spelling mended and spaces ignored ("STOP", "stpo",
   "OPT OUT", "no más") -> that keyword's class. CTIA: the STOP family always works.
2. Otherwise the text is cut into clauses ("Thanks! But please stop." -> two) and each
   clause is read with the patterns:
   - ``phrase`` patterns are revocations ("stop sending me these texts", "I don't want
     these messages", "remove me", "I said stop");
   - ``harmless`` patterns are ordinary readings of the same words ("stop by Friday",
     "the end of the month"); ``event`` patterns are replies a flow acts on ("cancel my
     appointment"); ``doubt`` patterns need a person ("I accidentally texted stop");
   - where a revocation and another reading overlap, the one that reads more of the words
     right after (then right before) the shared word wins; a tie goes to the ordinary
     reading; a ``doubt`` overlapping a revocation always wins (it qualifies it);
   - a revocation right after a negation ("don't stop texting me") does not count;
   - a clause that is only keywords and filler ("ok stop thanks") is that keyword.
3. Any revocation makes the text an opt-out: of the message types it names ("no more
   promos"), else of everything. Else anything doubtful, including a trigger word that no
   pattern explained, goes to review (a person decides within 10 business days; it is
   never silently ignored). Else an opt-in phrase ("sign me back up") opts in. Else none,
   with the flow events the text carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from core.keywords import patterns
from core.keywords.normalize import normalize
from core.keywords.spelling import Speller

OPT_OUT, HELP, OPT_IN, REVIEW, NONE = "opt_out", "help", "opt_in", "review", "none"
KINDS = (OPT_OUT, HELP, OPT_IN, REVIEW, NONE)

# Keyword-table kinds (see hooks.KeywordSpec).
PHRASE, HARMLESS, DOUBT, JOIN, EVENT, PAIR = "phrase", "harmless", "doubt", "join", "event", "pair"
PATTERN_KINDS = (PHRASE, HARMLESS, DOUBT, JOIN, EVENT, PAIR)
# Sentence marks end a clause; a full stop only before a space ("s.t.o.p" is one word).
CLAUSE_BREAK = re.compile(r"[!?;:,\n\r…¡¿]+|\.+(?=\s|$)|\s(?:but|pero|however|although|though)\s",
                          re.I)
CANCEL_WORDS = frozenset({"cancel", "cancelar"})
SLOT_REFERENCE = re.compile(r"^\{([a-z_]+)\}$")
# Words between a negation and what it negates: "don't ever stop", "please don't just stop".
NEGATION_GAP = frozenset({"ever", "please", "just", "really", "even", "pls", "evr", "u", "you",
                          "ya", "y'all", "guys"})
# "I don't want to / mean to / need to stop": the negation reaches past these.
WANTING = frozenset({"want", "mean", "need", "plan", "intend", "wish", "have", "like", "going",
                     "try", "trying"})


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: str
    compiled: re.Pattern[str]
    meaning: str | None = None  # the event a flow acts on, for ``event`` rules
    negated: bool = False  # the pattern itself starts with a negation ("don't text me")
    whole: bool = False  # the pattern is anchored at both ends of the clause
    partner: re.Pattern[str] | None = None  # a ``pair`` rule's second half


@dataclass(frozen=True)
class Classification:
    kind: str
    normalized: str
    matched: str | None = None
    reason: str = ""
    # An opt-out that names message types ("no more promos") stops only these; empty: all.
    message_types: tuple[str, ...] = ()
    # Flow events the reply carries ("cancel my appointment" -> appointment.cancel_requested).
    events: tuple[str, ...] = ()
    rule: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """Keywords, slots and compiled patterns; build with :meth:`build` from keyword rows."""

    opt_out: frozenset[str]
    help: frozenset[str]
    opt_in: frozenset[str]
    filler: frozenset[str] = frozenset()
    rules: tuple[Rule, ...] = ()
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # word -> message type slug
    totals: frozenset[str] = frozenset()
    triggers: tuple[str, ...] = ()
    flips: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()
    speller: Speller = field(default_factory=lambda: Speller({}, (), ()))

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str | None]]) -> Vocabulary:
        """From ``(kind, text, meaning)`` rows, as the keyword table holds them."""
        return _build(tuple(sorted({(k, t, m or "") for k, t, m in rows})))

    def with_campaign(self, opt_in: Iterable[str] = (), opt_out: Iterable[str] = (),
                      help: Iterable[str] = ()) -> Vocabulary:
        def norm(words: Iterable[str]) -> frozenset[str]:
            return frozenset(n for n in (normalize(w) for w in words) if n)

        return replace(self, opt_out=self.opt_out | norm(opt_out), help=self.help | norm(help),
                       opt_in=self.opt_in | norm(opt_in))


def _words(text: str) -> list[str]:
    """A comma-separated list, normalised; ``{slot}`` references are kept as they are."""
    out = []
    for piece in text.split(","):
        piece = piece.strip()
        if SLOT_REFERENCE.match(piece):
            out.append(piece)
        elif normalize(piece):
            out.append(normalize(piece))
    return out


@lru_cache(maxsize=16)
def _build(rows: tuple[tuple[str, str, str], ...]) -> Vocabulary:
    words: dict[str, list[str]] = {k: [] for k in ("opt_out", "help", "opt_in", "filler")}
    slots: dict[str, list[str]] = {}
    spellings: dict[str, str] = {}
    types: dict[str, str] = {}
    lists: dict[str, list[str]] = {"total": [], "trigger": [], "fuzzy": [], "near_miss": [],
                                   "skip": []}
    pattern_rows = []
    for kind, text, meaning in rows:
        if kind in words:
            words[kind].append(normalize(text))
        elif kind == "slot":
            slots.setdefault(meaning, []).extend(_words(text))
        elif kind == "spelling":
            for variant in _words(text):
                spellings[variant] = normalize(meaning)
        elif kind == "type":
            types.update(dict.fromkeys(_words(text), meaning))
        elif kind in lists:
            lists[kind].extend(_words(text))
        elif kind in PATTERN_KINDS:
            pattern_rows.append((kind, text, meaning or None))
    # Rules are written in plain words; texts are read after the speller mends them, so the
    # rules are mended the same way ("unsubscribed" is read as "unsubscribe" in both).
    fix = Speller(spellings, (), ()).correct
    slots = {name: [e if SLOT_REFERENCE.match(e) else fix(e) for e in entries]
             for name, entries in slots.items()}
    resolved = _resolve_slots(slots)
    resolved["ing"] = resolved["num"] = ()  # computed when compiled, see _compile
    rules = tuple(_rule(kind, _fix_pattern(text, fix), meaning, resolved)
                  for kind, text, meaning in pattern_rows)
    lists = {kind: [fix(w) for w in found] for kind, found in lists.items()}
    speller = Speller(spellings, lists["fuzzy"] + list(types) + lists["trigger"],
                      lists["near_miss"] + [w for v in resolved.values() for w in v])
    return Vocabulary(
        opt_out=frozenset(w for w in words["opt_out"] if w),
        help=frozenset(w for w in words["help"] if w),
        opt_in=frozenset(w for w in words["opt_in"] if w),
        filler=frozenset(fix(w) for w in words["filler"] if w),
        rules=rules, slots=resolved, types={fix(w): t for w, t in types.items()},
        totals=frozenset(lists["total"]),
        triggers=tuple(sorted(set(lists["trigger"]), key=len, reverse=True)),
        flips=frozenset(resolved.get("flip", ())), skip=frozenset(lists["skip"]),
        speller=speller)


def _fix_pattern(pattern: str, fix) -> str:
    """Mend the literal words of a pattern; slots, gaps and anchors stay as written."""
    out = []
    for token in pattern.split():
        bare, optional = (token[:-1], "?") if token.endswith("?") and len(token) > 1 else (token, "")
        if bare.startswith(("{", "!{", "...")) or bare in ("^", "$"):
            out.append(token)
        else:
            out.append("|".join(fix(normalize_word(w)) or w for w in bare.split("|")) + optional)
    return " ".join(out)


def normalize_word(word: str) -> str:
    return normalize(word) if word.isalpha() else word.lower()


def _resolve_slots(slots: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Expand ``{other}`` entries inside a slot (``msgish`` is ``{messages}`` and more)."""
    resolved: dict[str, tuple[str, ...]] = {}

    def expand(name: str, seen: tuple[str, ...]) -> tuple[str, ...]:
        if name in resolved:
            return resolved[name]
        if name in seen or name not in slots:
            raise patterns.PatternError(f"slot {{{name}}} is unknown or refers to itself")
        out: list[str] = []
        for entry in slots[name]:
            reference = SLOT_REFERENCE.match(entry)
            out.extend(expand(reference.group(1), (*seen, name)) if reference else [entry])
        resolved[name] = tuple(dict.fromkeys(out))
        return resolved[name]

    for name in list(slots):
        expand(name, ())
    return resolved


def _rule(kind: str, text: str, meaning: str | None,
          slots: dict[str, tuple[str, ...]]) -> Rule:
    source = " ".join(normalize(word) if word.isalpha() else word.lower()
                      for word in text.split())
    if kind == PAIR:
        first, _, second = (part.strip() for part in source.partition("&"))
        if not second:
            raise patterns.PatternError(f"a pair is written '{{a}} & {{b}}': {text!r}")
        return Rule(kind, source, _compile(first, slots), meaning,
                    partner=_compile(second, slots))
    compiled = _compile(source, slots)
    first = source.split()[0] if source.split() else ""
    negated = first in ("{neg}", "{dont}", "{never}", "no", "never", "nunca", "ya")
    whole = source.startswith("^") and source.endswith("$")
    return Rule(kind, source, compiled, meaning, negated, whole)


def _compile(pattern: str, slots: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    if "{num}" in pattern:
        # {num}: a word with a digit ("3pm", "10", "4th").
        marker = "zznumzz"
        compiled = _compile(pattern.replace("{num}", marker), slots)
        return re.compile(compiled.pattern.replace(marker, r"\S*\d\S*"))
    if "{ing}" in pattern:
        # {ing}: a word ending in -ing that is not about messaging ("stop worrying").
        banned = set(slots.get("nonobject", ())) | set(slots.get("messaging", ()))
        alternatives = "|".join(re.escape(w) for w in sorted(banned, key=len, reverse=True))
        ing = rf"(?!(?:{alternatives})(?= |$))\S+ing" if alternatives else r"\S+ing"
        marker = "zzingzz"
        compiled = patterns.compile_pattern(pattern.replace("{ing}", marker), slots)
        return re.compile(compiled.pattern.replace(marker, ing))
    return patterns.compile_pattern(pattern, slots)


def split_clauses(text: str) -> list[str]:
    return [part for part in CLAUSE_BREAK.split(text or "") if part and part.strip()]


def _exact(text: str, words: frozenset[str]) -> str | None:
    if text in words:
        return text
    compact = text.replace(" ", "")
    return next((w for w in sorted(words) if w.replace(" ", "") == compact), None)


@dataclass
class _Clause:
    text: str
    revocations: list[tuple[Rule, patterns.Match]] = field(default_factory=list)
    doubts: list[tuple[Rule, patterns.Match]] = field(default_factory=list)
    joins: list[tuple[Rule, patterns.Match]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    keyword: tuple[str, str] | None = None  # (class, keyword) when only keywords and filler
    filler_only: bool = False
    loose_triggers: list[str] = field(default_factory=list)


def classify(text: str, vocabulary: Vocabulary) -> Classification:
    normalized = normalize(text)
    if not normalized:
        return Classification(NONE, normalized, reason="empty after normalising")
    corrected = vocabulary.speller.correct(normalized)
    for kind, words in ((OPT_OUT, vocabulary.opt_out), (HELP, vocabulary.help),
                        (OPT_IN, vocabulary.opt_in)):
        matched = _exact(normalized, words) or _exact(corrected, words)
        if matched:
            return Classification(kind, normalized, matched, "the whole message is a keyword")
    clauses = []
    for part in split_clauses(text):
        words = vocabulary.speller.correct(normalize(part)).split()
        clause = " ".join(w for w in words if w not in vocabulary.skip)
        if clause:
            clauses.append(_read_clause(clause, vocabulary))
    return _decide(normalized, clauses, vocabulary)


def _decide(normalized: str, clauses: list[_Clause], vocabulary: Vocabulary) -> Classification:
    events = tuple(dict.fromkeys(e for c in clauses for e in c.events))
    revoking = [c for c in clauses if c.revocations or (c.keyword and c.keyword[0] == OPT_OUT)]
    if revoking:
        only_cancel = all(not c.revocations and c.keyword[1] in CANCEL_WORDS for c in revoking)
        if only_cancel and events:
            # "Can't make it tomorrow. Cancel." is about the appointment; a person decides.
            return Classification(REVIEW, normalized, revoking[0].keyword[1],
                                  "a bare CANCEL beside an appointment or order reply",
                                  events=events)
        first = revoking[0]
        if first.revocations:
            rule, match = first.revocations[0]
            matched, reason, pattern = match.text, "revocation", rule.pattern
        else:
            matched, reason, pattern = first.keyword[1], "opt-out keyword with filler", None
        return Classification(OPT_OUT, normalized, matched, reason,
                              message_types=_scope(revoking, vocabulary), events=events,
                              rule=pattern)
    # Clauses of filler alone ("Hi,", "thanks!") neither add nor take away meaning.
    said = [c for c in clauses if not c.filler_only] or clauses
    for clause in clauses:
        # A doubt that must be the whole clause ("No thanks") is no doubt beside more words
        # ("No thanks, just the flowers").
        doubts = [(r, m) for r, m in clause.doubts if len(said) == 1 or not r.whole]
        if doubts:
            rule, match = doubts[0]
            return Classification(REVIEW, normalized, match.text, "needs a person",
                                  events=events, rule=rule.pattern)
        if clause.loose_triggers:
            return Classification(REVIEW, normalized, clause.loose_triggers[0],
                                  "opt-out word that no pattern explains", events=events)
    for clause in clauses:
        if clause.joins:
            rule, match = clause.joins[0]
            return Classification(OPT_IN, normalized, match.text, "opt-in phrase",
                                  events=events, rule=rule.pattern)
    # "Yes, see you then" answers the appointment; YES opts in only as the whole reply.
    if said and all(c.keyword for c in said):
        kind, keyword = said[0].keyword
        if kind in (OPT_IN, HELP):
            return Classification(kind, normalized, keyword, "keyword with filler",
                                  events=events)
    if events:
        return Classification(NONE, normalized, reason="a reply for the flow", events=events)
    return Classification(NONE, normalized, reason="no keyword or phrase")


def _scope(clauses: list[_Clause], vocabulary: Vocabulary) -> tuple[str, ...]:
    """The message types a revocation names; empty (all of them) unless every revoking
    clause names some and none says "all"/"anything"."""
    named: set[str] = set()
    for clause in clauses:
        spaced = f" {clause.text} "
        if any(f" {word} " in spaced for word in vocabulary.totals):
            return ()
        found = {slug for word, slug in vocabulary.types.items() if f" {word} " in spaced}
        if not found:
            return ()
        named |= found
    return tuple(sorted(named))


def _read_clause(text: str, vocabulary: Vocabulary) -> _Clause:
    clause = _Clause(text)
    spaced = " " + text
    words = text.split()
    starts = _word_starts(spaced)
    found: dict[str, list[tuple[Rule, patterns.Match, frozenset[int]]]] = {
        k: [] for k in PATTERN_KINDS}
    for rule in vocabulary.rules:
        for match in patterns.find(rule.compiled, spaced):
            found[rule.kind].append((rule, match, _literal_words(rule, match, spaced, starts)))
    for kind in (PHRASE, JOIN):
        found[kind] = [(r, m, lit) for r, m, lit in found[kind]
                       if r.negated or not _negated(words, _index(starts, m.start), vocabulary)]
    ordinary = found[HARMLESS] + found[EVENT]
    found[PHRASE] += _pairs(found.pop(PAIR), spaced, words, starts, ordinary + found[DOUBT],
                            vocabulary)
    revocations = []
    for rule, match, literal in found[PHRASE]:
        beaten = any(patterns.overlaps(match, m) and _wins(lit, literal, starts, m, match, True)
                     for _, m, lit in ordinary)
        # A doubt qualifies the words it overlaps ("I accidentally texted STOP").
        beaten = beaten or any(patterns.overlaps(match, m) for _, m, _ in found[DOUBT])
        if not beaten:
            revocations.append((rule, match))
    clause.revocations = sorted(revocations, key=lambda rm: -len(rm[1].text))
    clause.doubts = [(r, m) for r, m, _ in found[DOUBT]]
    clause.joins = [(r, m) for r, m, _ in found[JOIN]]
    clause.events = list(dict.fromkeys(r.meaning for r, _, _ in found[EVENT] if r.meaning))
    clause.keyword = _keyword_clause(text, vocabulary)
    clause.filler_only = all(w in vocabulary.filler for w in words)
    explained = [m for _, m, _ in ordinary + found[DOUBT] + found[JOIN]] + \
        [m for _, m in revocations]
    clause.loose_triggers = _loose_triggers(spaced, words, starts, explained, vocabulary)
    return clause


def _pairs(pairs, spaced: str, words: list[str], starts: list[int], explained,
           vocabulary: Vocabulary) -> list[tuple[Rule, patterns.Match, frozenset[int]]]:
    """Pair rules as revocations: the first half (not negated, not read otherwise by a
    harmless, event or doubt pattern) with the second half anywhere in the clause."""
    found = []
    for rule, match, literal in pairs:
        if _negated(words, _index(starts, match.start), vocabulary):
            continue
        if any(m.start <= match.start and match.end <= m.end for _, m, _ in explained):
            continue
        if patterns.find(rule.partner, spaced):
            found.append((replace(rule, kind=PHRASE, negated=True), match, literal))
    return found


def _word_starts(spaced: str) -> list[int]:
    return [m.start() for m in re.finditer(r" \S", spaced)]


def _index(starts: list[int], offset: int) -> int:
    """The index of the word starting at character ``offset`` (a match starts at a space)."""
    for i, start in enumerate(starts):
        if start >= offset:
            return i
    return len(starts)


def _literal_words(rule: Rule, match: patterns.Match, spaced: str,
                   starts: list[int]) -> frozenset[int]:
    """Indexes of the words a match read literally (not inside one of its gaps)."""
    hit = rule.compiled.match(spaced, match.start)
    gaps = [hit.span(name) for name in hit.groupdict() if name.startswith("g") and hit.group(name)]
    first, last = _index(starts, match.start), _index(starts, match.end)
    return frozenset(i for i in range(first, last)
                     if not any(a <= starts[i] < b for a, b in gaps))


def _wins(other: frozenset[int], revocation: frozenset[int], starts: list[int],
          other_match: patterns.Match, revocation_match: patterns.Match,
          tie_to_other: bool) -> bool:
    """Does the other reading beat the revocation where they overlap? Count the words each
    reads literally right after the first shared word, then right before it."""
    first_shared = max(_index(starts, other_match.start), _index(starts, revocation_match.start))
    for step in (1, -1):
        a = _run(other, first_shared, step)
        b = _run(revocation, first_shared, step)
        if a != b:
            return a > b
    return tie_to_other


def _run(literal: frozenset[int], index: int, step: int) -> int:
    count, i = 0, index + step
    while i in literal:
        count += 1
        i += step
    return count


def _negated(words: list[str], index: int, vocabulary: Vocabulary) -> bool:
    """Is the word at ``index`` under a negation: "don't stop", "please never ever cancel",
    "I don't want to unsubscribe"? "Never" after its subject is a complaint ("these texts
    never stop"), not a request."""
    i = index - 1
    while i >= 0 and words[i] in NEGATION_GAP:
        i -= 1
    if i >= 1 and words[i] == "to" and words[i - 1] in WANTING:
        i -= 2
    elif i >= 0 and words[i] in ("wanna", "gonna"):
        i -= 1
    while i >= 0 and words[i] in NEGATION_GAP:
        i -= 1
    for size in (3, 2, 1):
        if i - size + 1 < 0:
            continue
        phrase = " ".join(words[i - size + 1:i + 1])
        if phrase in vocabulary.flips:
            if phrase == "never" and i > 0 and words[i - 1] not in ("please", "i", "and", "we"):
                return False
            return True
    return False


def _keyword_clause(text: str, vocabulary: Vocabulary) -> tuple[str, str] | None:
    words = [w for w in text.split() if w not in vocabulary.filler]
    if not words:
        return None
    rest = " ".join(words)
    for kind, keywords in ((OPT_OUT, vocabulary.opt_out), (HELP, vocabulary.help),
                           (OPT_IN, vocabulary.opt_in)):
        matched = _exact(rest, keywords)
        if matched:
            return kind, matched
        if all(w in keywords for w in words):
            return kind, words[0]
    return None


def _loose_triggers(spaced: str, words: list[str], starts: list[int],
                    explained: list[patterns.Match], vocabulary: Vocabulary) -> list[str]:
    loose = []
    for trigger in vocabulary.triggers:
        for hit in re.finditer(rf" {re.escape(trigger)}(?= |$)", spaced):
            if any(m.start <= hit.start() and hit.end() <= m.end for m in explained):
                continue
            if _negated(words, _index(starts, hit.start()), vocabulary):
                continue
            loose.append(trigger)
    return loose
