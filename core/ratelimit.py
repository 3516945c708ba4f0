"""Brute-force protection for the login form and the public forms (Flask-Limiter).

Flask-Security has no account lockout, so failed logins are limited per account (the email
submitted, in a form or as JSON) and per client address; a successful login does not count.
Counters live in ``RATELIMIT_STORAGE_URI``: memory by default, Redis
(``redis://127.0.0.1:6379``) when several processes serve the app.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

PER_ACCOUNT = "5 per minute;20 per hour"
PER_ADDRESS = "30 per minute"
# Public form and preference-page submissions per address (``FORM_RATE_LIMIT``): a shop's
# in-store tablet signs up a few people a minute; a bot trying numbers is stopped.
FORMS_PER_ADDRESS = "10 per minute;60 per hour"
PUBLIC_POSTS = ("capture.form_page", "capture.preference_page")


def _submitted_email() -> str:
    email = request.form.get("email")
    if email is None and request.is_json:
        data = request.get_json(silent=True)
        email = data.get("email") if isinstance(data, dict) else None
    return "login:" + (email if isinstance(email, str) else "").strip().lower()


def _failed(response) -> bool:
    """A form login that succeeded redirects; a JSON one answers 200."""
    if response.status_code in (301, 302, 303):
        return False
    return not (request.is_json and response.status_code == 200)


def init_rate_limits(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter = Limiter(key_func=get_remote_address, app=app)
    login = app.view_functions["security.login"]
    login = limiter.limit(PER_ACCOUNT, key_func=_submitted_email, methods=["POST"],
                          deduct_when=_failed)(login)
    login = limiter.limit(PER_ADDRESS, methods=["POST"], deduct_when=_failed)(login)
    app.view_functions["security.login"] = login
    public = app.config.get("FORM_RATE_LIMIT") or FORMS_PER_ADDRESS
    for endpoint in PUBLIC_POSTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(public, methods=["POST"])(
                app.view_functions[endpoint])
    return limiter
