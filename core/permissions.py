"""The role matrix: which role may read or write which area. The one place it is decided.

A permission is ``"<area>:read"``, ``"<area>:write"`` or a named action such as
``"consent:opt_out"``. Roles are stored with their permissions (Flask-Security's
``Role.permissions``), synchronised from this matrix by ``sync_roles``.
"""

from __future__ import annotations

AREAS = (
    "contacts",
    "consent",
    "disclosures",
    "forms",
    "message_types",
    "suppressions",
    "preferences",
    "brands",
    "campaigns",
    "senders",
    "flows",
    "segments",
    "messages",
    "links",
    "conversions",
    "webhooks",
    "integrations",
    "users",
    "audit",
    "plugins",
    "reports",
)

ACTIONS = ("consent:opt_out", "consent:import", "consent:paper", "contacts:erase",
           "messages:retry", "phone:simulate", "conversions:record", "integrations:replay")


def _read(*areas: str) -> set[str]:
    return {f"{area}:read" for area in areas}


def _write(*areas: str) -> set[str]:
    return {f"{area}:write" for area in areas} | _read(*areas)


_EVERYDAY = tuple(a for a in AREAS
                  if a not in ("users", "audit", "plugins", "webhooks", "integrations"))

MATRIX: dict[str, frozenset[str]] = {
    "admin": frozenset(_write(*AREAS) | set(ACTIONS)),
    "marketing": frozenset(
        _read(*_EVERYDAY)
        | _write("flows", "segments", "campaigns", "links", "disclosures", "forms")
        | {"consent:import", "consent:paper", "phone:simulate", "conversions:record"}
    ),
    "support": frozenset(
        _read("contacts", "consent", "suppressions", "preferences", "messages", "reports",
              "forms")
        | _write("contacts", "preferences")
        | {"consent:opt_out", "consent:paper", "conversions:record"}
    ),
    "operations": frozenset(
        _read(*AREAS)
        - _read("users", "audit")
        | _write("senders", "brands", "message_types", "webhooks", "plugins")
        | {"messages:retry", "phone:simulate", "integrations:replay"}
    ),
}

ROLE_DESCRIPTIONS = {
    "admin": "Everything, including users and roles.",
    "marketing": "Edits flows, segments, templates, campaigns, links and opt-in forms.",
    "support": "Reads contacts and consent history, records opt-outs and signed paper forms, "
               "edits preferences.",
    "operations": "Edits senders, brands, providers and plugins.",
}


def allowed(role_names: set[str] | list[str], permission: str) -> bool:
    return any(permission in MATRIX.get(role, frozenset()) for role in role_names)
