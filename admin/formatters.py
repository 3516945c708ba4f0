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


def as_lines(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    """A list of sentences (why the gate blocked a text) one per line, not as JSON."""
    value = getattr(model, name) or []
    items = value if isinstance(value, list) else [value]
    return Markup("<br>").join(escape(str(item)) for item in items)


def message_body(view: Any, context: Any, model: Any, name: str) -> Markup:
    """The text, shortened, marked when it was a test from the admin."""
    text = truncated(view, context, model, name)
    if getattr(model, "is_test", False):
        return Markup('<span class="badge badge-info">test</span> {}').format(text)
    return Markup("{}").format(text)


def as_words(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    """Lists as comma-separated words, mappings as ``name: value`` lines: never JSON."""
    value = getattr(model, name)
    if not value:
        return Markup("")
    if isinstance(value, dict):
        return Markup("<br>").join(escape(f"{key}: {item}") for key, item in value.items())
    if isinstance(value, list):
        return Markup(", ").join(escape(str(item)) for item in value)
    return Markup("{}").format(value)


def as_text_lines(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    """A list of texts, one per line, each shortened."""
    value = getattr(model, name) or []
    return Markup("<br>").join(escape(str(item)[:100]) for item in value)


def segment_rules(_view: Any, _context: Any, model: Any, name: str) -> str:
    from core.flows import words

    return words.definition(getattr(model, name))


def flow_steps(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    from core.flows import words

    return Markup("<br>").join(
        escape(f"{n}. {words.step(step)[:110]}") for n, step in enumerate(
            getattr(model, name) or [], start=1))
