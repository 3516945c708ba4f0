"""Run the readiness rules over a registration: findings per field, worst first."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import Flask

from core import plugins
from core.registration.facts import Registration
from hooks import RegistrationRule

SEVERITY_ORDER = {"blocks": 0, "likely": 1, "advice": 2}
SEVERITY_LABELS = {"blocks": "Blocks submission", "likely": "Likely rejection",
                   "advice": "Advice"}
GROUP_LABELS = {"registry": "Registry limits", "review": "Pre-submission rules"}
# Rules that speak about a field being missing; the others wait until it has text.
ABOUT_MISSING = ("length", "count", "present")


@dataclass(frozen=True)
class Finding:
    rule: str
    field: str
    group: str
    severity: str
    message: str
    fix: str
    source: str
    detail: str

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    def as_dict(self) -> dict:
        return asdict(self)


def rules_for(app: Flask) -> list[RegistrationRule]:
    return plugins.registration_rules(app.extensions["consentdesk"].pm)


def check(registration: Registration, rules: list[RegistrationRule]) -> list[Finding]:
    """Every problem each applicable rule finds, blocking ones first."""
    findings: list[Finding] = []
    for rule in rules:
        if not _applies(rule, registration):
            continue
        for detail in rule.check(registration) or ():
            findings.append(Finding(rule.id, rule.field, rule.group, rule.severity,
                                    rule.message, rule.fix, rule.source, detail))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.group != "registry"))
    return findings


def _applies(rule: RegistrationRule, registration: Registration) -> bool:
    if rule.field in ("links", "forms"):  # every text; the live forms
        return True
    if rule.field not in registration.fields:
        return False
    if rule.field == "website" or rule.id.rsplit(".", 1)[-1].endswith(ABOUT_MISSING):
        return True
    return bool((registration.text(rule.field) or "").strip())


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "blocks"]
