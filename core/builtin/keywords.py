"""The default keywords, word lists and patterns, in English and Spanish.

The data lives in :mod:`core.builtin.keywords_en` and :mod:`core.builtin.keywords_es`; this
plugin turns it into :class:`hooks.KeywordSpec` rows (``consentdesk db upgrade`` copies them
into the editable keyword table). A plugin adds a language, a word or a pattern the same way.
"""

from types import ModuleType

from core.builtin import keywords_en, keywords_es
from hooks import KeywordSpec, hookimpl

LANGUAGES: dict[str, ModuleType] = {"en": keywords_en, "es": keywords_es}
# Negations that cancel a revocation right after them ("don't stop", "never unsubscribe me").
FLIP = ("don't, do not, never, not, dnt, please don't, please do not, don't ever, "
        "do not ever, never ever, won't ever")


def specs_for(language: str, data: ModuleType) -> list[KeywordSpec]:
    specs = [KeywordSpec(kind, word, language)
             for kind, words in (("opt_out", data.OPT_OUT), ("help", data.HELP),
                                 ("opt_in", data.OPT_IN), ("filler", data.FILLER))
             for word in words]
    specs += [KeywordSpec("slot", words, language, name) for name, words in data.SLOTS.items()]
    for kind, rows in (("phrase", data.PHRASES), ("harmless", data.HARMLESS),
                       ("doubt", data.DOUBT), ("join", data.JOIN),
                       ("pair", getattr(data, "PAIRS", ()))):
        specs += [KeywordSpec(kind, pattern, language) for pattern in rows]
    specs += [KeywordSpec("event", pattern, language, event)
              for event, rows in data.EVENTS.items() for pattern in rows]
    specs += [KeywordSpec("type", words, language, slug) for slug, words in data.TYPES.items()]
    specs += [KeywordSpec("spelling", variants, language, word)
              for word, variants in data.SPELLINGS.items()]
    for kind, words in (("total", data.TOTAL), ("fuzzy", data.FUZZY),
                        ("near_miss", data.NEAR_MISSES), ("trigger", data.TRIGGERS),
                        ("skip", data.SKIP)):
        specs.append(KeywordSpec(kind, words, language))
    return specs


@hookimpl(trylast=True)
def register_keywords():
    specs = [spec for language, data in LANGUAGES.items() for spec in specs_for(language, data)]
    specs.append(KeywordSpec("slot", FLIP, "en", "flip"))
    return specs
