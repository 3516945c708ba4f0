"""A flow's steps in words, for the pages people read (the JSON is for the API)."""

from __future__ import annotations

from typing import Any

UNITS = {"m": "minute", "h": "hour", "d": "day"}


def duration(text: str) -> str:
    """``"2d"`` → ``"2 days"``; anything unexpected is shown as written."""
    text = str(text).strip()
    number, unit = text[:-1], UNITS.get(text[-1:])
    if not number.isdigit() or unit is None:
        return text
    return f"{int(number)} {unit}{'' if int(number) == 1 else 's'}"


def step(step: dict[str, Any]) -> str:
    if "send" in step:
        extra = []
        if step.get("link"):
            extra.append(f"the link opens {step['link']}")
        if step.get("expires"):
            extra.append("not sent once the appointment has passed")
        tail = f" ({'; '.join(extra)})" if extra else ""
        return f"Text: “{step['send']}”{tail}"
    if "wait" in step:
        wait = step["wait"]
        if isinstance(wait, dict) and "before" in wait:
            return f"Wait until {duration(wait['before'])} before the appointment"
        return f"Wait {duration(wait)}"
    if "stop_if" in step:
        if step["stop_if"] == "converted":
            return "Stop if they have bought (converted) since"
        return f"Stop if {step['stop_if']} happened since"
    return "An unknown step"


def condition(item: Any) -> str:
    """One segment rule in words (``core.flows.audiences`` documents the forms)."""
    if not isinstance(item, dict):
        return str(item)
    kind = item.get("type")
    if "consent" in item:
        return f"opted in to {item['consent']} texts"
    if "source" in item:
        return f"opted in to {kind or 'any'} texts by {str(item['source']).replace('_', ' ')}"
    if "opted_in_within_days" in item:
        return f"opted in to {kind or 'any'} texts in the last {item['opted_in_within_days']} days"
    if "tag" in item:
        return f"tagged {item['tag']}"
    if "language" in item:
        return f"prefers language {item['language']}"
    if "attribute" in item:
        return f"{item['attribute']} {item.get('op', '=')} {item.get('value')}"
    if "ordered_within_days" in item:
        return f"ordered in the last {item['ordered_within_days']} days"
    if "no_order_within_days" in item:
        return f"ordered before, but not in the last {item['no_order_within_days']} days"
    if "total_spent_at_least" in item:
        return f"spent at least ${item['total_spent_at_least']}"
    return ", ".join(f"{key} {value}" for key, value in item.items())


def definition(value: Any) -> str:
    """A segment's rules as one sentence: "opted in to marketing texts and tagged vip"."""
    rules = value.get("all", []) if isinstance(value, dict) else []
    return " and ".join(condition(rule) for rule in rules) or "everyone"
