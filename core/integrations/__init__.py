"""Integrations: other systems' webhooks, verified, stored, and turned into core actions."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any


def jsonable(values: Any) -> dict[str, Any]:
    """A mapping as a JSON column can hold it: times as ISO text, amounts as numbers, nested
    values converted too, anything else as text."""
    return json.loads(json.dumps(dict(values), default=lambda v: (
        v.isoformat() if isinstance(v, datetime) else float(v) if isinstance(v, Decimal)
        else str(v))))
