"""WTForms validators with the framework's signature (form, field)."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from core.phone import InvalidPhone, to_e164


def e164_phone(_form: Any, field: Any) -> None:
    """Reject a number that does not parse; store what does as E.164."""
    if not field.data:
        return
    try:
        field.data = to_e164(field.data)
    except InvalidPhone as error:
        raise ValidationError(str(error)) from None


def http_url(_form: Any, field: Any) -> None:
    if field.data and not str(field.data).startswith(("https://", "http://")):
        raise ValidationError("Must be an http(s) URL.")
