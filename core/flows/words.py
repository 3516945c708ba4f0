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
