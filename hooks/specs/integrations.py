"""Hooks that connect other systems (shops, calendars, helpdesks, CRMs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hooks.integrations import Integration
from hooks.markers import hookspec


@hookspec
def register_integrations(settings: Mapping[str, Any]) -> list[Integration]:
    """Declare integrations: objects implementing :class:`hooks.integrations.Integration`.

    Called once per application. The core mounts each integration's webhook routes at
    ``/hooks/integrations/<name>/<route>``, stores every delivery before calling ``verify``,
    processes each event id once in the task queue through ``map``, and lists the
    integration on the admin's Integrations page, where an admin connects it with its
    ``settings_form``. Two plugins declaring the same ``name`` is a start-up error.

    :param settings: read-only application settings.
    :return: a list of integrations with unique names.
    """
