"""Hooks that teach the keyword engine words and phrases."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import KeywordSpec


@hookspec
def register_keywords() -> list[KeywordSpec]:
    """Declare keywords, word lists and patterns the keyword engine reads texts with.

    Called by ``consentdesk db upgrade`` and ``consentdesk demo``: a (kind, language,
    text) the keyword table lacks is added; an existing row is never overwritten, and a
    row an admin deactivated stays inactive. The engine matches what the table holds. A
    language is whole-message keywords, ``slot`` word lists and ``phrase`` (revocation),
    ``harmless``, ``doubt``, ``join`` and ``event`` patterns that name the slots
    (``KeywordSpec("phrase", "{halt} ... {messages}")``); adding a word to an existing slot
    (``KeywordSpec("slot", "whatsapps", meaning="messages")``) extends every pattern that
    names it. See :class:`hooks.KeywordSpec` for every kind.

    :return: a list of :class:`hooks.KeywordSpec`.
    """
