"""Build the keyword engine's vocabulary from the keyword table (and a campaign's own words)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.keywords.classify import Vocabulary
from core.models import Campaign, Keyword


def load(session: Session, campaign: Campaign | None = None) -> Vocabulary:
    words: dict[str, list[str]] = defaultdict(list)
    for kind, text in session.execute(
        sa.select(Keyword.kind, Keyword.text).where(Keyword.active.is_(True))
    ):
        words[kind].append(text)
    vocabulary = Vocabulary.build(words["opt_out"], words["help"], words["opt_in"],
                                  words["phrase"], words["filler"])
    if campaign is not None:
        vocabulary = vocabulary.with_campaign(
            opt_in=campaign.opt_in_keywords or (), opt_out=campaign.opt_out_keywords or (),
            help=campaign.help_keywords or (),
        )
    return vocabulary


def from_specs(specs) -> Vocabulary:
    """A vocabulary straight from keyword specs (no database), for tools and tests."""
    words: dict[str, list[str]] = defaultdict(list)
    for spec in specs:
        words[spec.kind].append(spec.text)
    return Vocabulary.build(words["opt_out"], words["help"], words["opt_in"], words["phrase"],
                            words["filler"])
