"""Who may receive a message type, as one set-based query (not one check per contact).

Consent and suppression are decided in SQL; time-of-day and frequency rules are applied
to the result by the sending pipeline, per time zone, since they depend on the send time.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.models import Consent, Contact, Suppression


def eligible(message_type_id: int) -> sa.Select:
    """Contacts with a current opt-in for ``message_type_id`` whose number is not suppressed
    and not reported unable to receive texts."""
    suppressed = sa.select(Suppression.id).where(Suppression.phone_hmac == Contact.phone_hmac)
    return (
        sa.select(Contact.id, Contact.phone, Contact.timezone)
        .join(Consent, sa.and_(Consent.contact_id == Contact.id,
                               Consent.message_type_id == message_type_id,
                               Consent.state == "opted_in"))
        .where(Contact.erased_at.is_(None), Contact.undeliverable_at.is_(None),
               ~sa.exists(suppressed))
    )
