"""The auto-replies, built from the brand and campaign records."""

from __future__ import annotations

import re

from core.models import Brand, Campaign

FREQUENCY = re.compile(r"\b(msgs?|messages?|texts?)\s*(/|per|a|an|each)\s*(mo|month|week|wk|day)"
                       r"|frequency varies|recurring", re.I)

RATES = "Msg & data rates may apply."
STOP_HINT = "Reply STOP to cancel."
HELP_HINT = "Reply HELP for help."


def _name(brand: Brand | None) -> str:
    return brand.public_name if brand else "This program"


def stop_reply(brand: Brand | None) -> str:
    return (f"{_name(brand)}: You have been unsubscribed and will receive no further text "
            f"messages from this program. {HELP_HINT}")


def scoped_stop_reply(brand: Brand | None, type_names: list[str]) -> str:
    """The one confirmation of a revocation that named message types ("no more promos")."""
    names = " and ".join(name.lower() for name in type_names)
    return (f"{_name(brand)}: You are unsubscribed from {names} texts and will get no more of "
            f"them. Reply STOP to end all texts, HELP for help.")


def help_reply(brand: Brand | None, campaign: Campaign | None) -> str:
    if campaign is not None and campaign.help_text:
        text = campaign.help_text
    else:
        contacts = [c for c in (brand.support_email, brand.support_phone, brand.website)
                    if c] if brand else []
        text = f"{_name(brand)}: Help" + (f" at {', '.join(contacts)}." if contacts else ".")
    return _with(text, STOP_HINT, brand)


def opt_in_reply(brand: Brand | None, campaign: Campaign | None) -> str:
    text = (campaign.opt_in_confirmation if campaign and campaign.opt_in_confirmation
            else f"{_name(brand)}: You are subscribed.")
    if campaign and campaign.message_frequency and not FREQUENCY.search(text):
        text = f"{text.rstrip()} {campaign.message_frequency.rstrip('.')}."
    for required in (RATES, HELP_HINT, STOP_HINT):
        text = _with(text, required, None)
    return _with(text, "", brand)


def _with(text: str, required: str, brand: Brand | None) -> str:
    """Append ``required`` unless already there; start with the brand name if it is missing."""
    key = required.lower().rstrip(".").replace("reply ", "")
    if required and key not in text.lower():
        text = f"{text.rstrip()} {required}"
    if brand is not None and brand.public_name.lower() not in text.lower():
        text = f"{brand.public_name}: {text}"
    return text
