"""Hooks that add SMS providers and brand the admin for a reseller's bundle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hooks.markers import hookspec
from hooks.providers import Branding, Provider


@hookspec
def register_providers(settings: Mapping[str, Any]) -> list[Provider]:
    """Declare SMS providers: objects implementing :class:`hooks.providers.Provider`.

    Called once per application. A sender's ``provider`` field names the provider that
    sends for it; the core mounts each provider's webhooks at
    ``/hooks/providers/<name>/<kind>`` (``kind`` is ``inbound`` or ``status``), stores every
    request before calling ``verify``, ``parse_inbound`` or ``parse_status``, and answers
    with ``reply``. Return no provider when your settings are missing, so an installed
    but unconfigured plugin does not break start-up.

    :param settings: read-only application settings; a plugin reads its own keys
        (``CONSENTDESK_TWILIO_AUTH_TOKEN`` in the environment arrives as
        ``TWILIO_AUTH_TOKEN``) and ``PUBLIC_URL``, the base URL vendors call.
    :return: a list of providers with unique names.
    """


@hookspec(firstresult=True)
def register_branding(settings: Mapping[str, Any]) -> Branding | None:
    """Set the admin's product name, logo and colours (a reseller's bundle).

    Called once per application. The first plugin that returns a
    :class:`hooks.providers.Branding` wins; the built-in branding runs last.

    :param settings: read-only application settings.
    :return: a :class:`hooks.providers.Branding`, or None to leave it to others.
    """
