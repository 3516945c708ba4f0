"""An integration's connection: its settings, and its secrets encrypted at rest.

Secrets (signing keys, API tokens) are encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
the ``cryptography`` package) under a key derived from the app's ``SECRET_KEY``; the admin
never shows them again once saved. Changing ``SECRET_KEY`` makes them unreadable: the
connection then says so and asks for them again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from sqlalchemy.orm import Session

from core.models import IntegrationConnection
from hooks.integrations import Integration


class SecretsUnreadable(RuntimeError):
    """The secrets were encrypted under another SECRET_KEY."""


def _fernet(app: Flask) -> Fernet:
    digest = hashlib.sha256(b"consentdesk integration secrets\0" +
                            str(app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(app: Flask, values: dict[str, str]) -> str:
    return _fernet(app).encrypt(json.dumps(values).encode()).decode()


def decrypt(app: Flask, token: str | None) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet(app).decrypt(token.encode()))
    except InvalidToken:
        raise SecretsUnreadable("the saved secrets cannot be read (SECRET_KEY changed?): "
                                "enter them again") from None


def find(session: Session, name: str) -> IntegrationConnection | None:
    return session.scalars(sa.select(IntegrationConnection).where(
        IntegrationConnection.name == name)).one_or_none()


def settings_of(app: Flask, connection: IntegrationConnection) -> dict[str, Any]:
    """Everything the integration reads: settings and decrypted secrets."""
    return {**(connection.settings or {}), **decrypt(app, connection.secrets)}


def save(session: Session, app: Flask, integration: Integration, values: dict[str, Any],
         actor: str) -> IntegrationConnection:
    """Store the settings form's values; a secret left empty keeps the saved one."""
    connection = find(session, integration.name)
    if connection is None:
        connection = IntegrationConnection(name=integration.name, connected_by=actor, settings={})
        session.add(connection)
    kept = decrypt(app, connection.secrets) if connection.secrets else {}
    secrets = {**kept, **{key: str(values[key]) for key in integration.secret_fields
                          if values.get(key)}}
    connection.settings = {key: value for key, value in values.items()
                           if key not in integration.secret_fields and key != "csrf_token"}
    connection.secrets = encrypt(app, secrets) if secrets else None
    connection.enabled = True
    connection.connected_by = actor
    session.flush()
    from core.integrations.outgoing import forget_connections

    forget_connections(app)
    return connection
