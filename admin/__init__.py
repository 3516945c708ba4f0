"""The Flask-Admin panel: one secure base view, one module per area."""

from __future__ import annotations

import pluggy
from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin import api, assets
from admin.base import permitted
from admin.views.brand import BrandView, CampaignView, SenderView
from admin.views.capture import FormSubmissionView, OptInFormView, PaperConsentView
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
from admin.views.integrations import IntegrationsView
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
from admin.views.readiness import ReadinessView
from admin.views.sends import SendView
from admin.views.try_out import TryView
from admin.views.users import AuditLogView, RoleView, UserView
from core import models, plugins
from core.db import db, utcnow
from core.web_security import allow_inline_handlers, nonce

# (view class, model, menu category); the order is the menu's order.
MODEL_VIEWS = (
    (ContactView, models.Contact, "Contacts"),
    (PreferenceView, models.Preference, "Contacts"),
    (SuppressionView, models.Suppression, "Contacts"),
    (SegmentView, models.Segment, "Contacts"),
    (ConsentEventView, models.ConsentEvent, "Consent"),
    (ConsentView, models.Consent, "Consent"),
    (DisclosureView, models.Disclosure, "Consent"),
    (OptInFormView, models.OptInForm, "Consent"),
    (FormSubmissionView, models.FormSubmission, "Consent"),
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
    app.register_blueprint(assets.blueprint)
    branding = app.extensions["consentdesk"].branding
    app.context_processor(lambda: {"branding": branding, "permitted": permitted,
                                   "now": utcnow()})
    app.register_blueprint(api.blueprint)
    admin = Admin(
        name=branding.product_name,
        csp_nonce_generator=nonce,
        theme=Bootstrap4Theme(swatch="flatly", fluid=True, base_template="consentdesk/base.html"),
        index_view=HomeView(name="Home", url="/admin"),
    )
    for view_class, model, category in MODEL_VIEWS:
        admin.add_view(view_class(model, db, category=category))
    admin.add_view(SimulatorsView(name="Simulators", endpoint="simulators", category="Consent"))
    admin.add_view(SendView(name="Send to an audience", endpoint="send", category="Messaging"))
    admin.add_view(TryView(name="Try a flow", endpoint="try", category="Messaging"))
    admin.add_view(FlowTemplatesView(name="Ready-made flows", endpoint="flowtemplates",
                                     category="Messaging"))
    admin.add_view(PhoneView(name="Phone simulator", endpoint="phone", category="Messaging"))
    admin.add_view(PaperConsentView(name="Paper consent", endpoint="paperconsent",
                                    category="Consent"))
    admin.add_view(ConsentImportView(name="Import CSV", endpoint="consentimport", category="Consent"))
    admin.add_view(ReadinessView(name="Readiness", endpoint="readiness",
                                 category="Registration"))
    admin.add_view(ReportsView(name="Reports", endpoint="reports"))
    admin.add_view(IntegrationsView(name="Integrations", endpoint="integrations",
                                    category="System"))
    admin.add_view(PluginsView(name="Plugins", endpoint="plugins", category="System"))
    for page in plugins.admin_pages(pm):
        admin.add_view(PluginPageView(page))
    admin.init_app(app)
    allow_inline_handlers(inline_handlers(admin))
    return admin


def inline_handlers(admin: Admin) -> set[str]:
    """The ``onclick`` attributes Flask-Admin's templates write, exactly as written."""
    handlers = {"return false;",
                "return faHelpers.safeConfirm('Are you sure you want to delete this record?');"}
    for view in admin._views:
        for name, _text in getattr(view, "_actions", ()) or ():
            handlers.add(f"return modelActions.execute('{name}');")
    return handlers
