"""The admin's own branding; a reseller's plugin returning a Branding replaces it."""

from hooks import hookimpl
from hooks.providers import Branding


@hookimpl(trylast=True)
def register_branding(settings):
    return Branding(product_name=settings.get("PRODUCT_NAME") or "Consentdesk")
