"""CSV cells that a spreadsheet will not run as formulas.

A cell starting with ``= + - @``, a tab or a carriage return is prefixed with an
apostrophe (OWASP's advice). E.164 numbers (``+14155552671``) are kept as they are:
they are data that must survive an export, and a spreadsheet reads them as numbers.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def neutralise(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if E164.match(value):
        return value
    return "'" + value
