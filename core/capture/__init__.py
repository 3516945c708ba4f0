"""Consent captured where the person is: hosted forms, paper forms, the preference center."""
