"""The readiness rules every install checks registrations with (core.registration.rules)."""

from hooks import hookimpl


@hookimpl(tryfirst=True)
def register_registration_rules():
    from core.registration.rules import RULES

    return list(RULES)
