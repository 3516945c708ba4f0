"""Hooks that extend the admin panel."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import AdminPage


@hookspec
def register_admin_pages() -> list[AdminPage]:
    """Add pages to the admin panel, protected by the same login and role matrix.

    Called once while the admin panel is built. Each page's ``endpoint`` must be
    unique; its ``permission`` decides which roles see it.

    :return: a list of :class:`hooks.AdminPage`.
    """
