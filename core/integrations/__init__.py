"""Integrations: other systems' webhooks, verified, stored, and turned into core actions."""
