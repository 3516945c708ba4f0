"""HTTP hardening in one place: security headers (Flask-Talisman), cookies, caching, CSRF.

- A Content-Security-Policy that loads nothing from another host; scripts need the page's
  nonce. No framing (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``), ``nosniff``, a
  strict referrer policy.
- ``Cache-Control: no-store`` on every page and answer except static files: staff pages
  carry personal data.
- Session and remember-me cookies: HttpOnly, SameSite=Lax, Secure when the app is served
  over HTTPS (``CONSENTDESK_HTTPS=1``, or a ``PUBLIC_URL`` that starts with https);
  remember-me lasts ``REMEMBER_DAYS`` (14 days), not a year.
- CSRF (Flask-WTF) on every POST of a signed-in browser, logout included; provider webhooks
  are signed instead and are exempt.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from flask import Flask, Response, request
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

SELF = "'self'"
POLICY = {
    "default-src": SELF,
    "script-src": SELF,  # plus the request's nonce
    # Flask-Admin's templates set a few style attributes, which a nonce cannot allow.
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:"],
    "font-src": [SELF, "data:"],
    "connect-src": SELF,
    "form-action": SELF,
    "base-uri": SELF,
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "strict-origin-when-cross-origin"
CACHEABLE_ENDPOINTS = ("static", "admin.static", "consentdesk_admin.static",
                       "consentdesk_admin.theme_css")

talisman = Talisman()
csrf = CSRFProtect()


def served_over_https(app: Flask) -> bool:
    flag = str(app.config.get("HTTPS", "")).strip().lower()
    if flag in ("1", "true", "yes", "on"):
        return True
    if flag in ("0", "false", "no", "off"):
        return False
    return str(app.config.get("PUBLIC_URL") or "").lower().startswith("https://")


def init_web_security(app: Flask) -> None:
    https = served_over_https(app)
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_DURATION=timedelta(days=int(app.config.get("REMEMBER_DAYS") or 14)),
    )
    talisman.init_app(
        app,
        force_https=bool(app.config.get("FORCE_HTTPS")),
        frame_options="DENY",
        content_security_policy=POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy=REFERRER_POLICY,
        session_cookie_secure=https,
        session_cookie_samesite="Lax",
        strict_transport_security=https,
        # Talisman's own feature and permissions policies are empty by default; say no
        # to what a panel never needs.
        permissions_policy={"geolocation": "()", "microphone": "()", "camera": "()"},
    )
    csrf.init_app(app)
    app.after_request(_no_store)


def _no_store(response: Response) -> Response:
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def exempt_from_csrf(*blueprints) -> None:
    """Routes that authenticate by a signature, not a browser session (provider webhooks)."""
    for blueprint in blueprints:
        csrf.exempt(blueprint)


def nonce() -> str:
    return getattr(request, "csp_nonce", "")


def allow_inline_handlers(handlers: set[str]) -> None:
    """Let exactly these inline event handlers run, by hash ('unsafe-hashes' allows no
    other): Flask-Admin's templates confirm deletes and run the With-selected actions from
    ``onclick`` attributes. Any other inline script still needs the page's nonce."""
    hashes = sorted(f"'sha256-{base64.b64encode(hashlib.sha256(h.encode()).digest()).decode()}'"
                    for h in handlers)
    talisman.content_security_policy["script-src"] = [SELF, "'unsafe-hashes'", *hashes]
