"""Every table of Consentdesk. Import models from here."""

from core.db import Base
from core.models import guard  # noqa: F401 - its flush listener guards evidence fields
from core.models.auth import AuditLog, Role, User, roles_users
from core.models.brand import Brand, Campaign, Sender, SenderPace
from core.models.capture import (
    ConsentDocument,
    FormSnapshot,
    FormSubmission,
    OptInForm,
    PreferenceEvent,
    opt_in_form_types,
)
from core.models.consent import (
    Consent,
    ConsentChainHead,
    ConsentEvent,
    ConsentEvidence,
    Disclosure,
    text_hash,
)
from core.models.contact import Contact, MessageType, Preference, Segment, Suppression
from core.models.flows import FlowEvent, FlowRun, ScheduledSend
from core.models.integrations import (
    IntegrationConnection,
    IntegrationDelivery,
    OutgoingWebhook,
)
from core.models.keywords import Keyword, RevocationTicket
from core.models.messaging import Click, Conversion, Flow, Link, Message, WebhookEvent
from core.models.registration import RegistrationVersion

__all__ = [
    "AuditLog",
    "Base",
    "Brand",
    "Campaign",
    "Click",
    "Consent",
    "ConsentChainHead",
    "ConsentDocument",
    "ConsentEvent",
    "ConsentEvidence",
    "Contact",
    "Conversion",
    "Disclosure",
    "Flow",
    "FlowEvent",
    "FlowRun",
    "FormSnapshot",
    "FormSubmission",
    "IntegrationConnection",
    "IntegrationDelivery",
    "Keyword",
    "Link",
    "Message",
    "OptInForm",
    "OutgoingWebhook",
    "MessageType",
    "Preference",
    "PreferenceEvent",
    "RegistrationVersion",
    "RevocationTicket",
    "Role",
    "ScheduledSend",
    "Segment",
    "Sender",
    "SenderPace",
    "Suppression",
    "User",
    "WebhookEvent",
    "opt_in_form_types",
    "roles_users",
    "text_hash",
]
from core.models import append_only  # noqa: E402,F401  (registers the guard)
