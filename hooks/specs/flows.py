"""Hooks that extend what can set a flow going."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import EventType


@hookspec
def register_event_types() -> list[EventType]:
    """Declare events that can trigger flows (an integration's ``order.created``...).

    Called when the application starts; ``core.flows.events.record`` accepts only declared
    events, and the admin offers them as flow triggers. Two plugins declaring the same
    ``name`` is a start-up error.

    :return: a list of :class:`hooks.EventType`.
    """
