"""The Consentdesk plugin API: import everything a plugin needs from here.

A complete plugin is one module plus an entry point in group ``consentdesk``::

    # consentdesk_hello/__init__.py
    from hooks import Report, ReportResult, hookimpl

    def _count(data):
        rows = data.rows("SELECT count(*) AS n FROM contact")
        return ReportResult(columns=["contacts"], rows=[[rows[0]["n"]]])

    @hookimpl
    def register_reports():
        return [Report(name="hello", title="Hello", run=_count)]

    # setup.cfg
    # [options.entry_points]
    # consentdesk =
    #     hello = consentdesk_hello

The hook reference is ``docs/hooks.md``, generated from the specs in this package.
"""

from hooks.markers import PROJECT_NAME, hookimpl, hookspec
from hooks.types import (
    AdminPage,
    ConsentSource,
    EventType,
    GateRule,
    KeywordSpec,
    MessageTypeSpec,
    OutgoingMessage,
    ReadOnlyData,
    RegistrationRule,
    Report,
    ReportResult,
)

__all__ = [
    "PROJECT_NAME",
    "AdminPage",
    "ConsentSource",
    "EventType",
    "GateRule",
    "KeywordSpec",
    "MessageTypeSpec",
    "OutgoingMessage",
    "ReadOnlyData",
    "RegistrationRule",
    "Report",
    "ReportResult",
    "hookimpl",
    "hookspec",
]
