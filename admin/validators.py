"""WTForms validators with the framework's signature (form, field)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms.validators import ValidationError

from core.location import LocationError, state_code, zip_place, zone_name
from core.phone import InvalidPhone, to_e164


def e164_phone(_form: Any, field: Any) -> None:
    """Reject a number that does not parse; store what does as E.164."""
    if not field.data:
        return
    try:
        field.data = to_e164(field.data)
    except InvalidPhone as error:
        raise ValidationError(str(error)) from None


def _location(check: Callable[[str], Any], store: bool) -> Callable[[Any, Any], None]:
    """A validator running one of core.location's checks; ``store`` keeps what it returns
    (``fl`` → ``FL``) as the field's value."""

    def validate(_form: Any, field: Any) -> None:
        if not field.data or not field.data.strip():
            return
        try:
            checked = check(field.data)
        except LocationError as error:
            raise ValidationError(str(error)) from None
        if store:
            field.data = checked

    return validate


us_zip = _location(zip_place, store=False)  # five digits or ZIP+4
us_state = _location(state_code, store=True)  # "fl", "Florida" -> "FL"
iana_zone = _location(zone_name, store=True)  # "America/Chicago"


def http_url(_form: Any, field: Any) -> None:
    if field.data and not str(field.data).startswith(("https://", "http://")):
        raise ValidationError("Must be an http(s) URL.")
