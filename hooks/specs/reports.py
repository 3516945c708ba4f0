"""Hooks that add reports."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import Report


@hookspec
def register_reports() -> list[Report]:
    """Declare reports for the admin Reports page and ``consentdesk report NAME``.

    Called each time the list of reports is shown. Report names must be unique.

    :return: a list of :class:`hooks.Report`.
    """
