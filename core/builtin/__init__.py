"""The core's own plugins: real implementations of the hooks, replaceable where marked trylast."""

DEFAULT_PLUGINS = (
    "core.builtin.consent_sources",
    "core.builtin.message_types",
    "core.builtin.keywords",
    "core.builtin.gate_rules",
    "core.builtin.registration_rules",
    "core.builtin.reports",
    "core.builtin.sandbox",
    "core.builtin.branding",
    "core.builtin.events",
)
