"""The plugin host: one pluggy manager per app, built-in plugins plus installed ones."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy
import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.builtin import DEFAULT_PLUGINS
from hooks import PROJECT_NAME, ConsentSource, Report
from hooks.integrations import Integration
from hooks.providers import Branding, Provider
from hooks.specs import SPEC_MODULES

ENTRY_POINT_GROUP = PROJECT_NAME


def make_plugin_manager(
    load_entrypoints: bool = True,
    only: Iterable[str] | None = None,
    trace: bool = False,
    extra_plugins: Iterable[Any] = (),
) -> pluggy.PluginManager:
    """Register the specs, the built-in plugins, then installed entry points (all, or ``only``)."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    for module in SPEC_MODULES:
        pm.add_hookspecs(module)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entrypoints:
        if only is None:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        else:
            for name in only:
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    if trace:
        pm.trace.root.setwriter(lambda message: print(message, end="", file=sys.stderr))
        pm.enable_tracing()
    return pm


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    distribution: str | None
    hooks: tuple[str, ...]


def plugin_infos(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every registered plugin with its distribution, version and implemented hooks."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    infos = []
    for name, plugin in pm.list_name_plugin():
        dist = dists.get(id(plugin))
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        infos.append(
            PluginInfo(
                name=name,
                version=dist.version if dist else _core_version(),
                distribution=dist.project_name if dist else None,
                hooks=hooks,
            )
        )
    return sorted(infos, key=lambda info: (info.distribution is None, info.name))


def _core_version() -> str:
    try:
        return metadata.version("consentdesk")
    except metadata.PackageNotFoundError:
        return "unknown"


def _flatten(results: Iterable[Iterable[Any] | None]) -> list[Any]:
    return [item for result in results if result for item in result]


def _unique_by_name(items: Iterable[Any], what: str) -> dict[str, Any]:
    by_name: dict[str, Any] = {}
    for item in items:
        if item.name in by_name:
            raise RuntimeError(f"Two plugins declare the {what} {item.name!r}.")
        by_name[item.name] = item
    return by_name


def consent_sources(pm: pluggy.PluginManager) -> dict[str, ConsentSource]:
    return _unique_by_name(_flatten(pm.hook.register_consent_sources()), "consent source")


def reports(pm: pluggy.PluginManager) -> dict[str, Report]:
    return _unique_by_name(_flatten(pm.hook.register_reports()), "report")


def message_type_specs(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.register_message_types())


def keyword_specs(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.register_keywords())


def gate_rules(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.register_gate_rules())


def registration_rules(pm: pluggy.PluginManager) -> list[Any]:
    """Every readiness rule, built-in first; a repeated rule id is an error."""
    rules = _flatten(pm.hook.register_registration_rules())
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuntimeError(f"Two plugins declare the registration rule {rule.id!r}.")
        seen.add(rule.id)
    return rules


def providers(pm: pluggy.PluginManager, settings: Mapping[str, Any]) -> dict[str, Provider]:
    found = _unique_by_name(_flatten(pm.hook.register_providers(settings=settings)), "provider")
    for name, provider in found.items():
        if not isinstance(provider, Provider):
            raise RuntimeError(f"Provider {name!r} must subclass hooks.providers.Provider.")
    return found


def integrations(pm: pluggy.PluginManager, settings: Mapping[str, Any]) -> dict[str, Integration]:
    found = _unique_by_name(_flatten(pm.hook.register_integrations(settings=settings)),
                            "integration")
    for name, integration in found.items():
        if not isinstance(integration, Integration):
            raise RuntimeError(f"Integration {name!r} must subclass "
                               "hooks.integrations.Integration.")
    return found


def branding(pm: pluggy.PluginManager, settings: Mapping[str, Any]) -> Branding:
    return pm.hook.register_branding(settings=settings)


def event_types(pm: pluggy.PluginManager) -> dict[str, Any]:
    return _unique_by_name(_flatten(pm.hook.register_event_types()), "event type")


def admin_pages(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.register_admin_pages())


class SessionData:
    """The read-only data access handed to reports and plugin pages."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        result = self._session.execute(sa.text(sql), params)
        return [dict(row._mapping) for row in result]
