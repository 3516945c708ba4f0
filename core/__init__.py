"""Consentdesk core: the app factory, the data model and the domain services."""
