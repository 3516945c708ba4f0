"""Small JSON helpers for the admin's editors: segment counts, flow previews, audience sizes.

Read-only (GET), behind login and the same permissions as the pages that use them.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import login_required

from admin.base import permitted
from core import segments
from core.db import db, utcnow
from core.flows import audiences, preview
from core.models import MessageType

blueprint = Blueprint("consentdesk_api", __name__, url_prefix="/admin/api")


def _require(permission: str) -> None:
    if not permitted(permission):
        abort(403)


@blueprint.get("/segments")
@login_required
def sms_segments() -> Any:
    """How a text would be split: encoding, characters and segments (body editors)."""
    counted = segments.count(request.args.get("text", ""))
    return jsonify(encoding=counted.encoding, characters=counted.characters,
                   segments=counted.segments)


@blueprint.get("/flow-preview")
@login_required
def flow_preview() -> Any:
    _require("flows:read")
    found = preview.preview(db.session, current_app, request.args.get("steps", ""),
                            request.args.get("trigger", ""),
                            _slug(request.args.get("message_type")),
                            request.args.get("campaign", type=int))
    db.session.rollback()
    return jsonify(found)


@blueprint.get("/audience-count")
@login_required
def audience_count() -> Any:
    _require("segments:read")
    kind = _slug(request.args.get("message_type")) or "marketing"
    type_id = db.session.scalar(sa.select(MessageType.id).where(MessageType.slug == kind))
    try:
        definition = json.loads(request.args.get("definition") or "{}") or None
        count = audiences.count(db.session, type_id, definition, utcnow())
    except (ValueError, audiences.AudienceError) as error:
        db.session.rollback()
        return jsonify(error=str(error), count=None, message_type=kind)
    db.session.rollback()
    return jsonify(error=None, count=count, message_type=kind)


def _slug(value: str | None) -> str:
    """A message type given by id (the form's select) or by slug."""
    if value and value.isdigit():
        return db.session.scalar(sa.select(MessageType.slug).where(
            MessageType.id == int(value))) or ""
    return value or ""
