"""The paper form as an image (SVG): the hosted image registration asks for.

Drawn by hand from the same parts as the printable page: text is wrapped at a fixed
number of characters, which suits a form with short lines and one disclosure paragraph.
"""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

from core.models import OptInForm

WIDTH, MARGIN, LINE = 816, 48, 22  # US Letter at 96 dpi is 816 x 1056
CHARS = 88


def render(form: OptInForm) -> str:
    brand = form.campaign.brand
    parts: list[str] = []
    y = MARGIN + 10

    def text(value: str, size: int = 15, weight: str = "normal", x: int = MARGIN) -> None:
        nonlocal y
        parts.append(f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}">'
                     f"{escape(value)}</text>")
        y += int(size * 1.5)

    def rule(label: str) -> None:
        nonlocal y
        y += 14
        parts.append(f'<text x="{MARGIN}" y="{y}" font-size="15">{escape(label)}</text>')
        parts.append(f'<line x1="{MARGIN + 8 * len(label) + 20}" y1="{y + 3}" '
                     f'x2="{WIDTH - MARGIN}" y2="{y + 3}" stroke="#000"/>')
        y += LINE + 8

    text(f"Text messages from {brand.public_name}", 24, "bold")
    text(brand.legal_name + (f" · {brand.address}" if brand.address else ""), 13)
    rule("Name")
    rule("Mobile number")
    text("Tick the texts you would like (none is ticked for you):", 15, "bold")
    for kind in form.message_types:
        label = kind.name + (f" — {kind.description}" if kind.description else "")
        parts.append(f'<rect x="{MARGIN}" y="{y - 13}" width="15" height="15" fill="none" '
                     'stroke="#000" stroke-width="1.5"/>')
        for line in textwrap.wrap(label, CHARS - 4):
            text(line, 15, x=MARGIN + 26)
    y += 8
    top = y - 4
    disclosure = [form.disclosure.text]
    if brand.terms_url:
        disclosure.append(f"Terms: {brand.terms_url}")
    if brand.privacy_policy_url:
        disclosure.append(f"Privacy Policy: {brand.privacy_policy_url}")
    y += 14
    for paragraph in disclosure:
        for line in textwrap.wrap(paragraph, CHARS):
            text(line, 14, x=MARGIN + 12)
    parts.append(f'<rect x="{MARGIN}" y="{top}" width="{WIDTH - 2 * MARGIN}" '
                 f'height="{y - top}" fill="none" stroke="#000"/>')
    y += 10
    rule("Signature")
    rule("Date")
    text(f"Form “{form.name}” · disclosure “{form.disclosure.name}” version "
         f"{form.disclosure.version}", 11)
    height = max(y + MARGIN, 1056)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="Georgia, serif">'
            f'<rect width="100%" height="100%" fill="#fff"/>{"".join(parts)}</svg>')
