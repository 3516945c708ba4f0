"""Error pages in the panel's look, in plain words: never a traceback, never SQL.

Machine routes (provider webhooks, the panel's JSON helpers) answer JSON instead. A login
locked out by the rate limit says when to try again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

WORDS = {
    400: ("That request could not be read", "Something in what was sent is missing or not "
          "in the expected form. Go back and try again."),
    403: ("Not for your role", "Your account does not give access to this page or action. "
          "An admin can change your role if you need it."),
    404: ("Not found", "There is nothing at this address: it may have been deleted, or the "
          "link is wrong."),
    405: ("Not allowed this way", "This page cannot be used like that; go back and use its "
          "buttons."),
    413: ("Too large", "What was sent is larger than this server accepts."),
    429: ("Too many attempts", "For safety, this is paused for a little while after several "
          "attempts in a row."),
    500: ("Something went wrong on our side", "Nothing was changed. The error has been "
          "logged; try again in a moment, and tell an admin if it keeps happening."),
}
MACHINE_PREFIXES = ("/hooks/", "/admin/api/")


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _http_error(error: HTTPException) -> Any:
    return _page(error.code or 500, getattr(error, "description", None))


def _unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("unexpected error on %s", request.path)
    return _page(500, None, InternalServerError())


def _page(code: int, description: str | None, original: Any = None) -> Any:
    heading, explanation = WORDS.get(code, (f"Error {code}", "The request did not work."))
    retry = _retry_time() if code == 429 else None
    if request.path.startswith(MACHINE_PREFIXES) or request.accept_mimetypes.best == \
            "application/json":
        return jsonify(error=heading, status=code), code
    html = render_template("error.html", heading=heading, explanation=explanation,
                           retry=retry)
    return html, code


def _retry_time() -> str | None:
    # Flask-Limiter keeps its limiters in a set; the one that refused knows the window.
    resets = []
    for limiter in current_app.extensions.get("limiter", ()):
        limit = limiter.current_limit
        if limit is not None and limit.breached:
            resets.append(limit.reset_at)
    if not resets:
        return None
    return datetime.fromtimestamp(max(resets), UTC).strftime("%H:%M UTC")
