"""Build the keyword engine's vocabulary from the keyword table (and a campaign's own words)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.keywords.classify import Vocabulary
from core.models import Campaign, Keyword


def load(session: Session, campaign: Campaign | None = None) -> Vocabulary:
    """The active rows of the keyword table, compiled (cached while the rows are unchanged)."""
    rows = session.execute(sa.select(Keyword.kind, Keyword.text, Keyword.meaning)
                           .where(Keyword.active.is_(True))).all()
    vocabulary = Vocabulary.build((kind, text, meaning) for kind, text, meaning in rows)
    if campaign is not None:
        vocabulary = vocabulary.with_campaign(
            opt_in=campaign.opt_in_keywords or (), opt_out=campaign.opt_out_keywords or (),
            help=campaign.help_keywords or (),
        )
    return vocabulary


def from_specs(specs) -> Vocabulary:
    """A vocabulary straight from keyword specs (no database), for tools and tests."""
    return Vocabulary.build((spec.kind, spec.text, spec.meaning) for spec in specs)
