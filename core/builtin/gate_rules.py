"""Built-in gate rules that need nothing but the message itself."""

import re

from hooks import GateRule, hookimpl


def _public_shortener(message):
    from core.gate.rules import content_lists

    text = message.body.lower()
    return [
        f"{domain} links are filtered by carriers; use the brand's own link domain"
        for domain in content_lists()["public_shorteners"]
        if re.search(rf"(?<![\w.-]){re.escape(domain)}(?=[/\s?#]|$)", text)
    ]


@hookimpl
def register_gate_rules():
    return [GateRule("public_shortener", _public_shortener)]
