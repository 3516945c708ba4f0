"""The keyword engine: normalisation, classification, the labelled corpus, properties."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core.builtin.keywords import FILLER, HELP, OPT_IN, OPT_OUT, PHRASES, register_keywords
from core.keywords import classify, normalize
from core.keywords.evaluate import evaluate, read_corpus
from core.keywords.vocabulary import from_specs, load
from core.models import Campaign, Keyword

CORPUS = Path(__file__).parent / "data" / "replies.csv"
VOCABULARY = from_specs(register_keywords())


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("Stop", "stop"), (" STOP.", "stop"), ("ＳＴＯＰ", "stop"), ("stop 🛑", "stop"),
     ("s\u200btop", "stop"), ("NO MÁS", "no mas"), ("Don’t text me!!", "don't text me"),
     ("\u00a0\tstop\n", "stop"), ("", "")],
)
def test_normalize(raw, normalized):
    assert normalize(raw) == normalized


@pytest.mark.parametrize(("text", "label"), read_corpus(CORPUS))
def test_corpus_reply_is_classified_as_labelled(text, label):
    assert classify(text, VOCABULARY).kind == label


def test_corpus_revocation_recall_is_total():
    report = evaluate(read_corpus(CORPUS), VOCABULARY)
    print("\n".join(report.lines()))
    assert report.revocation_recall == 1.0
    assert report.revocation_precision == 1.0


def test_review_names_the_word_that_made_it_doubtful():
    result = classify("see you at the end of the day", VOCABULARY)
    assert (result.kind, result.matched) == ("review", "end")


def test_campaign_keywords_join_the_vocabulary():
    vocabulary = VOCABULARY.with_campaign(opt_in=["JOIN", "SELL"])
    assert classify("join", vocabulary).kind == "opt_in"
    assert classify("JOIN", VOCABULARY).kind == "none"


def test_vocabulary_comes_from_the_editable_table(session):
    assert classify("wrong number", load(session)).kind == "opt_out"
    row = session.scalars(sa.select(Keyword).filter_by(kind="phrase", text="wrong number")).one()
    row.active = False
    session.add(Keyword(kind="phrase", language="fr", text="arretez"))
    session.flush()
    vocabulary = load(session)
    assert classify("wrong number", vocabulary).kind == "none"
    assert classify("Arrêtez !", vocabulary).kind == "opt_out"


def test_campaign_record_keywords_are_used(session):
    campaign = Campaign(name="x", use_case="MARKETING", opt_in_keywords=["FLOWERS"],
                        opt_out_keywords=["ENOUGH"], brand_id=None)
    assert classify("flowers", load(session, campaign)).kind == "opt_in"
    assert classify("enough!", load(session, campaign)).kind == "opt_out"


# Properties.

SINGLE_OPT_OUT = [w for words in OPT_OUT.values() for w in words]
DECORATION = st.sampled_from(["", " ", ".", "!", "!!!", "?", "🛑", "🙏", "\u200b", "\t", "\n",
                              "...", "*", "😡"])


def _spell(word: str, draw_case) -> str:
    return "".join(draw_case(ch) for ch in word)


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


KNOWN_WORDS = {w for spec in register_keywords() for w in normalize(spec.text).split()}
SAFE_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9).filter(
    lambda w: w not in KNOWN_WORDS)


@given(st.lists(SAFE_WORDS, min_size=1, max_size=12),
       st.lists(st.sampled_from([" ", ", ", ". ", "! ", " 🙂 "]), min_size=12, max_size=12))
def test_text_without_a_keyword_or_phrase_is_none(words, separators):
    text = "".join(w + s for w, s in zip(words, separators, strict=False))
    assert classify(text, VOCABULARY).kind == "none"


def test_defaults_cover_the_required_words():
    assert {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
            "OPT OUT"} <= set(OPT_OUT["en"])
    assert set(HELP) == {"HELP", "INFO"} and set(OPT_IN) == {"START", "YES", "UNSTOP"}
    assert "please" in FILLER and "no mas" in PHRASES["es"]
