"""Login, roles and API tokens through Flask-Security, over the app's own User and Role."""

from __future__ import annotations

from flask import Flask
from flask_security import FSQLALiteUserDatastore, Security
from sqlalchemy.orm import Session

from core.db import db
from core.models import Role, User
from core.permissions import MATRIX, ROLE_DESCRIPTIONS

security = Security()

SECURITY_DEFAULTS = {
    "SECURITY_PASSWORD_HASH": "argon2",
    "SECURITY_TRACKABLE": True,
    "SECURITY_REGISTERABLE": False,
    "SECURITY_SEND_REGISTER_EMAIL": False,
    "SECURITY_CHANGEABLE": True,
    "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": False,
    "SECURITY_POST_LOGIN_VIEW": "/admin/",
    "SECURITY_POST_LOGOUT_VIEW": "/login",
    "SECURITY_TOKEN_AUTHENTICATION_HEADER": "Authentication-Token",
    "SECURITY_USERNAME_ENABLE": False,
    # Logging out changes state: a POST with the form's CSRF token, never a link.
    "SECURITY_LOGOUT_METHODS": ["POST"],
    # core.web_security sends "no-store" on every page; Flask-Security's own default writes
    # a malformed header ("private=True, no-store=True").
    "SECURITY_CACHE_CONTROL": {},
    "SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS": False,
}


def init_security(app: Flask) -> None:
    for key, value in SECURITY_DEFAULTS.items():
        app.config.setdefault(key, value)
    datastore = FSQLALiteUserDatastore(db, User, Role)
    security.init_app(app, datastore)


def sync_roles(session: Session) -> None:
    """Make the Role rows match the permission matrix (created or updated, never deleted)."""
    for name, permissions in MATRIX.items():
        role = session.query(Role).filter_by(name=name).one_or_none() or Role(name=name)
        role.description = ROLE_DESCRIPTIONS[name]
        role.permissions = sorted(permissions)
        session.add(role)
    session.flush()


def create_user(app: Flask, email: str, password: str, roles: list[str]) -> User:
    """Create an active staff account with hashed password and the named roles."""
    from flask_security.utils import hash_password

    unknown = set(roles) - set(MATRIX)
    if unknown:
        raise ValueError(f"Unknown role(s): {', '.join(sorted(unknown))}.")
    datastore = app.extensions["security"].datastore
    sync_roles(db.session)
    user = datastore.create_user(
        email=email, password=hash_password(password), roles=list(roles), active=True
    )
    db.session.commit()
    return user
