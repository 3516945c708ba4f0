"""Hooks that tell the consent ledger what it may record."""

from __future__ import annotations

from hooks.markers import hookspec
from hooks.types import ConsentSource, GateRule, MessageTypeSpec


@hookspec
def register_consent_sources() -> list[ConsentSource]:
    """Declare the sources consent can come from (web form, keyword, an integration...).

    Called when the application starts; the ledger accepts an event only from a
    declared source, and an opt-in only from a source whose ``provable`` is true.
    Two plugins declaring the same ``name`` is a start-up error.

    :return: a list of :class:`hooks.ConsentSource`.
    """


@hookspec
def register_message_types() -> list[MessageTypeSpec]:
    """Declare the message types (programs) that consent is recorded for.

    Called by ``consentdesk db upgrade`` and ``consentdesk demo``; a type whose
    ``slug`` is not in the database yet is added, and an existing row is never
    overwritten (admins may have edited it).

    :return: a list of :class:`hooks.MessageTypeSpec`.
    """


@hookspec
def register_gate_rules() -> list[GateRule]:
    """Add compliance rules that every outbound message must pass (a reseller's own, say).

    Called when the gate is built for an app. Each rule's ``check`` receives a
    :class:`hooks.OutgoingMessage` and returns a list of problems; any problem blocks the
    send, recorded on the message with the rule's ``name`` as its reason code.

    :return: a list of :class:`hooks.GateRule`.
    """
