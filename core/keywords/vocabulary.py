"""Build the keyword engine's vocabulary from the keyword table (and a campaign's own words)."""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.keywords.classify import Vocabulary
from core.models import Campaign, Keyword

# Reading every keyword row for each inbound text cost more than reading the text. The
# compiled vocabulary is reused while the table's fingerprint (active rows, highest id) is
# unchanged and this process has written no keyword, for at most ``FRESH`` seconds: an
# edit that keeps both (a word retyped in another process) takes effect within that time.
FRESH = 2.0
FINGERPRINT = sa.select(sa.func.count(Keyword.id), sa.func.max(Keyword.id)).where(
    Keyword.active.is_(True))
_cache: dict[Any, tuple[float, int, tuple, Vocabulary]] = {}
_generation = [0]
_lock = threading.Lock()


@sa.event.listens_for(Session, "after_flush")
def _keywords_written(session: Session, _context: Any) -> None:
    if any(isinstance(row, Keyword) for row in (*session.new, *session.dirty, *session.deleted)):
        with _lock:
            _generation[0] += 1


def table_vocabulary(session: Session) -> Vocabulary:
    """The active rows of the keyword table, compiled."""
    key = session.get_bind().url
    fingerprint = tuple(session.execute(FINGERPRINT).one())
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and now - hit[0] < FRESH and hit[1] == _generation[0] and hit[2] == fingerprint:
        return hit[3]
    generation = _generation[0]
    rows = session.execute(sa.select(Keyword.kind, Keyword.text, Keyword.meaning)
                           .where(Keyword.active.is_(True))).all()
    vocabulary = Vocabulary.build((kind, text, meaning) for kind, text, meaning in rows)
    with _lock:
        _cache[key] = (now, generation, fingerprint, vocabulary)
    return vocabulary


def load(session: Session, campaign: Campaign | None = None) -> Vocabulary:
    """The keyword table's vocabulary with the campaign's own words."""
    vocabulary = table_vocabulary(session)
    if campaign is not None:
        vocabulary = vocabulary.with_campaign(
            opt_in=campaign.opt_in_keywords or (), opt_out=campaign.opt_out_keywords or (),
            help=campaign.help_keywords or (),
        )
    return vocabulary


def from_specs(specs) -> Vocabulary:
    """A vocabulary straight from keyword specs (no database), for tools and tests."""
    return Vocabulary.build((spec.kind, spec.text, spec.meaning) for spec in specs)
