"""The consent ledger: append-only events, the state derived from them, suppression."""

from core.consent.ledger import ConsentRefused, Evidence, Ledger
from core.consent.suppression import is_suppressed, phone_hmac

__all__ = ["app_ledger", "ConsentRefused", "Evidence", "Ledger", "is_suppressed", "phone_hmac"]


def app_ledger(app, session) -> Ledger:
    """The ledger for this app: its declared consent sources and its suppression key."""
    return Ledger(
        session,
        sources=app.extensions["consentdesk"].consent_sources,
        suppression_key=app.config["SUPPRESSION_KEY"],
    )
