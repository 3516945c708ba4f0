"""Built-in gate rules that need nothing but the message itself."""

import re
from functools import cache

from hooks import GateRule, hookimpl


@cache
def _shortener_pattern() -> re.Pattern:
    from core.gate.rules import content_lists

    domains = "|".join(re.escape(d) for d in content_lists()["public_shorteners"])
    return re.compile(rf"(?<![\w.-])({domains})(?=[/\s?#]|$)")


def _public_shortener(message):
    found = dict.fromkeys(m.group(1) for m in _shortener_pattern().finditer(message.body.lower()))
    return [f"{domain} links are filtered by carriers; use the brand's own link domain"
            for domain in found]


@hookimpl
def register_gate_rules():
    return [GateRule("public_shortener", _public_shortener)]
