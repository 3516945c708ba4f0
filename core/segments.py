"""SMS segment counting: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part)."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
GSM7 = frozenset(GSM7_BASIC | GSM7_EXTENDED)


@dataclass(frozen=True)
class SegmentCount:
    encoding: str
    characters: int
    segments: int


def count(body: str) -> SegmentCount:
    used = set(body)
    if used <= GSM7:
        units = len(body) + sum(body.count(ch) for ch in used & GSM7_EXTENDED)  # escape + char
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = len(body.encode("utf-16-le", "surrogatepass")) // 2  # UTF-16 units (emoji: two)
        single, part = 70, 67
        encoding = "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return SegmentCount(encoding, units, segments)
