"""Hooks that teach the keyword engine words and phrases."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import KeywordSpec


@hookspec
def register_keywords() -> list[KeywordSpec]:
    """Declare keywords and revocation phrases, in any language.

    Called by ``consentdesk db upgrade`` and ``consentdesk demo``: a (kind, language,
    text) the keyword table lacks is added; an existing row is never overwritten, and a
    row an admin deactivated stays inactive. The engine matches what the table holds.

    :return: a list of :class:`hooks.KeywordSpec`.
    """
