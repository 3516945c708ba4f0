"""The keyword engine: normalisation, the pattern language, the labelled corpora, properties."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.builtin import keywords_en
from core.builtin.keywords import register_keywords
from core.keywords import classify, normalize
from core.keywords.evaluate import CorpusError, evaluate, read_corpus
from core.keywords.patterns import PatternError, compile_pattern, find
from core.keywords.spelling import damerau_levenshtein
from core.keywords.vocabulary import from_specs, load
from core.models import Campaign, Keyword

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "replies.csv"
UNSEEN = DATA / "replies_unseen.csv"
VOCABULARY = from_specs(register_keywords())
ROWS = read_corpus(CORPUS)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("Stop", "stop"), (" STOP.", "stop"), ("ＳＴＯＰ", "stop"), ("stop 🛑", "stop stop"),
     ("🛑", "stop"), ("s\u200btop", "stop"), ("NO MÁS", "no mas"),
     ("Don’t text me!!", "don't text me"), ("\u00a0\tstop\n", "stop"), ("wrong #", "wrong number"),
     ("", "")],
)
def test_normalize(raw, normalized):
    assert normalize(raw) == normalized


# The corpora: every text classified as labelled.

@pytest.mark.parametrize(("text", "label"), ROWS)
def test_corpus_reply_is_classified_as_labelled(text, label):
    assert classify(text, VOCABULARY).kind == label


def test_corpus_is_large_and_varied():
    labels = [label for _, label in ROWS]
    assert len(ROWS) >= 400
    assert {"opt_out", "help", "opt_in", "review", "none"} <= set(labels)
    assert labels.count("none") >= 200 and labels.count("review") >= 30


@pytest.mark.parametrize("path", [CORPUS, UNSEEN], ids=["corpus", "unseen"])
def test_every_revocation_is_recognised_and_no_conversation_opts_out(path):
    report = evaluate(read_corpus(path), VOCABULARY)
    print("\n".join(report.lines()))
    assert report.revocation_recall == 1.0
    assert report.false_opt_outs == 0
    for kind in ("help", "opt_in", "review", "none"):
        assert report.recall(kind) in (1.0, None), kind


def test_a_corpus_without_a_label_column_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("message,class\nSTOP,opt_out\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="needs a 'text' and a 'label' column"):
        read_corpus(str(path))
    path.write_text("text,label\nSTOP,unsubscribe\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="line 2: label 'unsubscribe'"):
        read_corpus(str(path))


# What a classification carries besides its class.

@pytest.mark.parametrize(("text", "types"), [
    ("No more promos please", ("marketing",)),
    ("Stop sending me deals, I still want my order updates", ("marketing",)),
    ("no more reminders", ("transactional",)),
    ("No more promos or reminders", ("marketing", "transactional")),
    ("no more promos or anything else", ()),
    ("Stop all texts", ()),
    ("STOP", ()),
    ("Ya no quiero ofertas", ("marketing",)),
])
def test_a_revocation_is_total_unless_it_names_a_type(text, types):
    result = classify(text, VOCABULARY)
    assert (result.kind, result.message_types) == ("opt_out", types)


@pytest.mark.parametrize(("text", "kind", "events"), [
    ("Cancel my appointment", "none", ("appointment.cancel_requested",)),
    ("Can I move my appointment to Thursday?", "none", ("appointment.reschedule_requested",)),
    ("Confirmed, see you then", "none", ("appointment.confirmed",)),
    ("Please cancel my order", "none", ("order.cancel_requested",)),
    ("Can't make it tomorrow. Cancel.", "review", ("appointment.cancel_requested",)),
    ("Cancel my appointment and stop texting me", "opt_out", ("appointment.cancel_requested",)),
])
def test_appointment_and_order_replies_are_flow_events(text, kind, events):
    result = classify(text, VOCABULARY)
    assert (result.kind, result.events) == (kind, events)


def test_review_names_what_made_it_doubtful():
    result = classify("I accidentally texted stop", VOCABULARY)
    assert result.kind == "review" and "accidentally" in result.matched
    assert classify("Is there a fee to cancel? cancel", VOCABULARY).kind == "opt_out"


def test_an_opt_out_says_which_pattern_decided():
    result = classify("I don't want these texts anymore", VOCABULARY)
    assert result.kind == "opt_out" and result.rule and "{want}" in result.rule


# The pattern language.

SLOTS = {"halt": ("stop", "quit"), "messages": ("texts", "text messages"), "me": ("me", "my number")}


@pytest.mark.parametrize(("pattern", "text", "found"), [
    ("{halt} {messages}", "please stop texts now", ["stop texts"]),
    ("{halt} ... {messages}", "stop sending me these text messages", ["stop sending me these text messages"]),
    ("{halt} ... {messages}", "stop one two three four texts", []),
    ("{halt} {me?} now", "stop now", ["stop now"]),
    ("{halt} {me?} now", "quit my number now", ["quit my number now"]),
    ("{halt} $", "please stop", ["stop"]),
    ("{halt} $", "stop by", []),
    ("^ {halt}", "ok stop", []),
    ("{halt} !{messages}", "stop texts", []),
    ("{halt} !{messages}", "stop cars", ["stop cars"]),
    ("take {me} off", "take my number off please", ["take my number off"]),
    ("stop|end it", "end it", ["end it"]),
])
def test_pattern_language(pattern, text, found):
    compiled = compile_pattern(pattern, SLOTS)
    assert [m.text for m in find(compiled, " " + text)] == found


def test_a_match_is_weighed_by_its_words_outside_gaps():
    compiled = compile_pattern("{halt} ... {messages}", SLOTS)
    (match,) = find(compiled, " stop sending me texts")
    assert match.weight == 2


@pytest.mark.parametrize("pattern", ["{nope} texts", "", "stop {halt", "{halt} ?"])
def test_a_broken_pattern_is_a_clear_error(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern, SLOTS)


# The table is the engine's data: admins and plugins change what it reads.

def test_campaign_keywords_join_the_vocabulary():
    vocabulary = VOCABULARY.with_campaign(opt_in=["JOIN", "SELL"])
    assert classify("join", vocabulary).kind == "opt_in"
    assert classify("JOIN", VOCABULARY).kind == "none"


def test_vocabulary_comes_from_the_editable_table(session):
    assert classify("wrong number", load(session)).kind == "opt_out"
    rows = session.scalars(sa.select(Keyword).where(Keyword.text.like("wrong%"))).all()
    for row in rows:
        row.active = False
    session.add(Keyword(kind="phrase", language="fr", text="arretez ... {messages}"))
    session.flush()
    vocabulary = load(session)
    assert classify("wrong number", vocabulary).kind == "none"
    assert classify("Arrêtez les SMS !", vocabulary).kind == "opt_out"


def test_a_slot_row_extends_every_pattern_that_names_it(session):
    assert classify("stop the whatsapps", load(session)).kind != "opt_out"
    session.add(Keyword(kind="slot", language="en", text="whatsapps", meaning="messages"))
    session.flush()
    assert classify("stop the whatsapps", load(session)).kind == "opt_out"


def test_the_compiled_vocabulary_is_reused_until_the_table_changes(session, monkeypatch):
    from core.keywords import vocabulary

    first = load(session)
    assert load(session) is first  # nothing changed: no rows read, nothing compiled
    row = session.scalars(sa.select(Keyword).where(Keyword.text == "wrong number")).first()
    row.text = "wrong numbr"  # same count, same highest id: this process's write is seen
    session.flush()
    assert load(session) is not first
    again = load(session)
    # A row added by another process (plain SQL, no ORM event here) changes the fingerprint.
    session.execute(sa.insert(Keyword).values(kind="opt_out", language="en", text="halt",
                                              active=True, created_at=sa.func.now()))
    assert classify("halt", load(session)).kind == "opt_out"
    # An edit elsewhere that keeps the fingerprint is seen once the cache is older than FRESH.
    cached = load(session)
    session.execute(sa.update(Keyword).where(Keyword.text == "halt").values(text="haltt"))
    assert load(session) is cached
    monkeypatch.setattr(vocabulary, "FRESH", 0.0)
    assert classify("haltt", load(session)).kind == "opt_out"
    assert again is not None


def test_campaign_record_keywords_are_used(session):
    campaign = Campaign(name="x", use_case="MARKETING", opt_in_keywords=["FLOWERS"],
                        opt_out_keywords=["ENOUGH"], brand_id=None)
    assert classify("flowers", load(session, campaign)).kind == "opt_in"
    assert classify("enough!", load(session, campaign)).kind == "opt_out"


# Properties.

SINGLE_OPT_OUT = list(keywords_en.OPT_OUT) + ["PARAR", "CANCELAR", "BASTA", "NO MAS"]
DECORATION = st.sampled_from(["", " ", ".", "!", "!!!", "?", "🛑", "🙏", "\u200b", "\t", "\n",
                              "...", "*", "😡"])


@st.composite
def spelling_variant(draw):
    word = draw(st.sampled_from(SINGLE_OPT_OUT))
    styles = draw(st.lists(st.sampled_from(["upper", "lower", "fullwidth"]), min_size=len(word),
                           max_size=len(word)))
    out = []
    for ch, style in zip(word, styles, strict=True):
        if style == "fullwidth" and "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch.upper() if style == "upper" else ch.lower())
    return draw(DECORATION) + "".join(out) + draw(DECORATION)


@given(spelling_variant())
def test_any_spelling_of_a_single_opt_out_keyword_opts_out(text):
    assert classify(text, VOCABULARY).kind == "opt_out"


@st.composite
def one_typo(draw, word):
    i = draw(st.integers(min_value=1, max_value=len(word) - 2))
    how = draw(st.sampled_from(["swap", "drop", "double", "replace"]))
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + draw(st.sampled_from("aeiouy")) + word[i + 1:]


@given(one_typo("unsubscribe"), st.sampled_from(["", " me", " please", " me from this list"]))
def test_unsubscribe_with_a_typo_still_opts_out(word, rest):
    assert classify(word + rest, VOCABULARY).kind == "opt_out"


@pytest.mark.parametrize("text", ["I want to subscribe", "subscribe me", "I subscribed!",
                                  "Do you do massages?"])
def test_real_words_near_a_trigger_are_not_corrected_into_it(text):
    assert classify(text, VOCABULARY).kind != "opt_out"


PREFIXES = ["", "Hi, ", "Hello. ", "Hey there! ", "Ok. ", "Excuse me, ", "Um, "]
SUFFIXES = ["", ".", "!", "!!", " 🙏", ". Thanks", ", thank you", " 👍", "\n"]
CASES = [str, str.upper, str.lower]


@settings(max_examples=400)
@given(st.sampled_from([r for r in ROWS if r[1] in ("opt_out", "none")]),
       st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES), st.sampled_from(CASES))
def test_greetings_thanks_punctuation_and_shouting_do_not_change_the_class(row, prefix,
                                                                          suffix, case):
    text, label = row
    assert classify(case(prefix + text + suffix), VOCABULARY).kind == label


KNOWN_WORDS = {w for spec in register_keywords() for w in normalize(spec.text).split()}
SAFE_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9).filter(
    lambda w: w not in KNOWN_WORDS)


@given(st.lists(SAFE_WORDS, min_size=1, max_size=12),
       st.lists(st.sampled_from([" ", ", ", ". ", "! ", " 🙂 "]), min_size=12, max_size=12))
def test_text_without_a_keyword_or_phrase_is_none(words, separators):
    text = "".join(w + s for w, s in zip(words, separators, strict=False))
    assert classify(text, VOCABULARY).kind == "none"


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("unsubscribe", "unsubscribe", 0), ("unsubcribe", "unsubscribe", 1),
    ("unsubscirbe", "unsubscribe", 1), ("subscribe", "unsubscribe", 2), ("stop", "pots", 3)])
def test_damerau_levenshtein(a, b, distance):
    assert damerau_levenshtein(a, b, 3) == distance


def test_defaults_cover_the_words_the_rules_name():
    """FCC 47 CFR 64.1200(a)(10): stop, quit, end, revoke, opt out, cancel, unsubscribe."""
    for word in ("stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe",
                 "parar", "cancelar", "baja", "no mas"):
        assert classify(word, VOCABULARY).kind == "opt_out", word
    assert classify("HELP", VOCABULARY).kind == "help"
    assert classify("AYUDA", VOCABULARY).kind == "help"
    for word in ("START", "UNSTOP", "YES"):
        assert classify(word, VOCABULARY).kind == "opt_in"
