"""Hooks that extend the registration readiness checker."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import RegistrationRule


@hookspec
def register_registration_rules() -> list[RegistrationRule]:
    """Add readiness rules a campaign's registration must pass (a carrier's or reseller's own).

    Called when the checker runs. A rule whose ``id`` is already taken is a start-up error,
    so a plugin cannot silently replace a built-in rule. Findings show on the campaign's
    readiness screen and in ``consentdesk registration check``.

    :return: a list of :class:`hooks.RegistrationRule`.
    """
