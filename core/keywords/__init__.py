"""The keyword engine: normalise inbound text, classify it, build the reply."""

from core.keywords.classify import Classification, Vocabulary, classify
from core.keywords.normalize import normalize

__all__ = ["Classification", "Vocabulary", "classify", "normalize"]
