"""The brand's SMS terms and privacy clause as public pages, for a business without a CMS:
``/legal/<brand id>/terms`` and ``/legal/<brand id>/privacy``, served once the brand's
``legal_pages_published`` is set (registration links them; reviewers open them)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template

from core.db import db
from core.models import Brand

blueprint = Blueprint("legal", __name__)


def _page(brand_id: int, field: str, heading: str) -> Any:
    brand = db.session.get(Brand, brand_id)
    text = getattr(brand, field, None) if brand is not None else None
    if brand is None or not brand.legal_pages_published or not (text or "").strip():
        db.session.rollback()
        abort(404)
    html = render_template(
        "registration/legal.html", brand=brand, heading=heading.format(brand=brand.public_name),
        paragraphs=[p.strip() for p in text.split("\n\n") if p.strip()],
        colour=current_app.extensions["consentdesk"].branding.primary_colour, embed=False)
    db.session.rollback()
    return html


@blueprint.route("/legal/<int:brand_id>/terms")
def terms(brand_id: int) -> Any:
    return _page(brand_id, "sms_terms", "{brand} text message terms")


@blueprint.route("/legal/<int:brand_id>/privacy")
def privacy(brand_id: int) -> Any:
    return _page(brand_id, "privacy_clause", "{brand} privacy policy: text messages")
