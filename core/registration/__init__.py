"""Registration help: the readiness checker (rules as data), the generators that write the
registration from how this business really collects consent, and the drift watch that flags
a registration the live records no longer match.

    registration = facts.from_campaign(session, app, campaign)
    findings = checker.check(registration, checker.rules_for(app))
"""
