"""Hook specifications, one module per domain. They hold signatures and docs, no logic."""

from hooks.specs import (
    admin,
    consent,
    flows,
    integrations,
    keywords,
    lifecycle,
    providers,
    registration,
    reports,
)

SPEC_MODULES = (lifecycle, consent, keywords, flows, providers, integrations, reports,
                registration, admin)
