"""Brute-force protection for the login form (Flask-Limiter).

Flask-Security has no account lockout, so a failed-or-not POST to /login is limited per
account (the submitted email) and per client address. Counters live in
``RATELIMIT_STORAGE_URI``: memory by default, Redis (``redis://127.0.0.1:6379``) when
several processes serve the app.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

PER_ACCOUNT = "5 per minute;20 per hour"
PER_ADDRESS = "30 per minute"


def _submitted_email() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


def init_rate_limits(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter = Limiter(key_func=get_remote_address, app=app)
    login = app.view_functions["security.login"]
    login = limiter.limit(PER_ACCOUNT, key_func=_submitted_email, methods=["POST"])(login)
    login = limiter.limit(PER_ADDRESS, methods=["POST"])(login)
    app.view_functions["security.login"] = login
    return limiter
