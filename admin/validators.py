"""WTForms validators with the framework's signature (form, field)."""

from __future__ import annotations

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


def us_zip(_form: Any, field: Any) -> None:
    if field.data and field.data.strip():
        try:
            zip_place(field.data)
        except LocationError as error:
            raise ValidationError(str(error)) from None


def us_state(_form: Any, field: Any) -> None:
    """Accept ``fl`` or ``Florida``; store ``FL``."""
    if field.data and field.data.strip():
        try:
            field.data = state_code(field.data)
        except LocationError as error:
            raise ValidationError(str(error)) from None


def iana_zone(_form: Any, field: Any) -> None:
    if field.data and field.data.strip():
        try:
            field.data = zone_name(field.data)
        except LocationError as error:
            raise ValidationError(str(error)) from None


def http_url(_form: Any, field: Any) -> None:
    if field.data and not str(field.data).startswith(("https://", "http://")):
        raise ValidationError("Must be an http(s) URL.")
