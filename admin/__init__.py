"""The Flask-Admin panel: one secure base view, one module per area."""

from __future__ import annotations

import pluggy
from flask import Blueprint, Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from admin import api
from admin.views.brand import BrandView, CampaignView, SenderView
from admin.views.consent import ConsentEventView, ConsentView, DisclosureView, MessageTypeView
from admin.views.contacts import ContactView, PreferenceView, SegmentView, SuppressionView
from admin.views.flows import (
    FlowEventView,
    FlowRunView,
    FlowTemplatesView,
    FlowView,
    ScheduledSendView,
)
from admin.views.imports import ConsentImportView
from admin.views.keywords import KeywordView, RevocationTicketView, SimulatorsView
from admin.views.messaging import (
    ClickView,
    ConversionView,
    LinkView,
    MessageView,
    WebhookEventView,
)
from admin.views.pages import HomeView, PluginPageView, PluginsView, ReportsView
from admin.views.phone import PhoneView
from admin.views.users import AuditLogView, RoleView, UserView
from core import models, plugins
from core.db import db

# (view class, model, menu category); the order is the menu's order.
MODEL_VIEWS = (
    (ContactView, models.Contact, "Contacts"),
    (PreferenceView, models.Preference, "Contacts"),
    (SuppressionView, models.Suppression, "Contacts"),
    (SegmentView, models.Segment, "Contacts"),
    (ConsentEventView, models.ConsentEvent, "Consent"),
    (ConsentView, models.Consent, "Consent"),
    (DisclosureView, models.Disclosure, "Consent"),
    (MessageTypeView, models.MessageType, "Consent"),
    (RevocationTicketView, models.RevocationTicket, "Consent"),
    (KeywordView, models.Keyword, "Consent"),
    (FlowView, models.Flow, "Messaging"),
    (FlowEventView, models.FlowEvent, "Messaging"),
    (FlowRunView, models.FlowRun, "Messaging"),
    (ScheduledSendView, models.ScheduledSend, "Messaging"),
    (MessageView, models.Message, "Messaging"),
    (LinkView, models.Link, "Messaging"),
    (ClickView, models.Click, "Messaging"),
    (ConversionView, models.Conversion, "Messaging"),
    (BrandView, models.Brand, "Registration"),
    (CampaignView, models.Campaign, "Registration"),
    (SenderView, models.Sender, "Registration"),
    (WebhookEventView, models.WebhookEvent, "System"),
    (UserView, models.User, "System"),
    (RoleView, models.Role, "System"),
    (AuditLogView, models.AuditLog, "System"),
)


def init_admin(app: Flask, pm: pluggy.PluginManager) -> Admin:
    """Build the panel for ``app``; call inside an app context."""
    app.register_blueprint(
        Blueprint("consentdesk_admin", __name__, template_folder="templates")
    )
    branding = app.extensions["consentdesk"].branding
    app.context_processor(lambda: {"branding": branding})
    app.register_blueprint(api.blueprint)
    admin = Admin(
        name=branding.product_name,
        theme=Bootstrap4Theme(swatch="flatly", fluid=True, base_template="consentdesk/base.html"),
        index_view=HomeView(name="Home", url="/admin"),
    )
    for view_class, model, category in MODEL_VIEWS:
        admin.add_view(view_class(model, db, category=category))
    admin.add_view(SimulatorsView(name="Simulators", endpoint="simulators", category="Consent"))
    admin.add_view(FlowTemplatesView(name="Ready-made flows", endpoint="flowtemplates",
                                     category="Messaging"))
    admin.add_view(PhoneView(name="Phone simulator", endpoint="phone", category="Messaging"))
    admin.add_view(ConsentImportView(name="Import CSV", endpoint="consentimport", category="Consent"))
    admin.add_view(ReportsView(name="Reports", endpoint="reports"))
    admin.add_view(PluginsView(name="Plugins", endpoint="plugins", category="System"))
    for page in plugins.admin_pages(pm):
        admin.add_view(PluginPageView(page))
    admin.add_link(MenuLink(name="Log out", endpoint="security.logout"))
    admin.init_app(app)
    return admin
