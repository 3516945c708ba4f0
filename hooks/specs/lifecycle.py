"""Hooks around the application's start and its command line."""

from __future__ import annotations

from typing import Any

from hooks.markers import hookspec


@hookspec
def startup(app: Any) -> None:
    """Run once when the application has been built, after the database and admin are ready.

    Called at the end of ``create_app``, inside an application context.

    :param app: the Flask application; read settings from ``app.config``.
    :return: nothing.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add sub-commands to the ``consentdesk`` command line.

    Called once when the command line is built.

    :param cli: the ``consentdesk`` click group; call ``cli.command()`` or
        ``cli.add_command()`` on it.
    :return: nothing.
    """
