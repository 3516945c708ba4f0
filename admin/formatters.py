"""Small list-column formatters, with Flask-Admin's signature (view, context, model, name)."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup, escape


def as_json(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    value = getattr(model, name)
    if not value:
        return Markup("")
    return Markup("<code>{}</code>").format(json.dumps(value, ensure_ascii=False)[:200])


def short_hash(_view: Any, _context: Any, model: Any, name: str) -> str:
    value = getattr(model, name) or ""
    return value[:12] + ("…" if len(value) > 12 else "")


def truncated(_view: Any, _context: Any, model: Any, name: str) -> str:
    value = str(getattr(model, name) or "")
    return value if len(value) <= 80 else value[:79] + "…"


def escaped_lines(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    return Markup("<br>").join(escape(line) for line in str(getattr(model, name) or "").splitlines())
