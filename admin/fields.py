"""Form fields people can use instead of JSON: tags as a list, attributes as "name: value"."""

from __future__ import annotations

from typing import Any

from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError


class TagListField(StringField):
    """Tags typed as words separated by commas ("vip, spring, wedding")."""

    def _value(self) -> str:
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            seen: dict[str, None] = {}
            for tag in (valuelist[0] or "").split(","):
                tag = tag.strip()
                if tag:
                    seen.setdefault(tag, None)
            self.data = list(seen)
        else:
            self.data = []


class KeyValueField(TextAreaField):
    """Attributes as one "name: value" per line; numbers stay numbers."""

    def _value(self) -> str:
        return "\n".join(f"{key}: {value}" for key, value in (self.data or {}).items())

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = {}
        if not valuelist:
            return
        for number, line in enumerate((valuelist[0] or "").splitlines(), start=1):
            if not line.strip():
                continue
            if ":" not in line:
                self.data = None
                raise ValueError(f"Line {number}: write it as “name: value”.")
            key, value = (part.strip() for part in line.split(":", 1))
            if not key:
                self.data = None
                raise ValueError(f"Line {number}: the name is missing before “:”.")
            self.data[key] = _typed(value)

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            raise ValidationError("Write one “name: value” per line.")


def _typed(value: str) -> Any:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


class LinesField(TextAreaField):
    """A list of texts, one per line (a campaign's sample messages)."""

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        lines = (valuelist[0] if valuelist else "") or ""
        self.data = [line.strip() for line in lines.splitlines() if line.strip()]
