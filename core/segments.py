"""SMS segment counting: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part)."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentCount:
    encoding: str
    characters: int
    segments: int


def count(body: str) -> SegmentCount:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in body)
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)  # UTF-16 code units
        single, part = 70, 67
        encoding = "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return SegmentCount(encoding, units, segments)
