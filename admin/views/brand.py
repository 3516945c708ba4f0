"""Registration records: brands, campaigns, senders."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, g, url_for
from flask_security import current_user
from markupsafe import Markup
from wtforms.validators import NumberRange, Optional, ValidationError

from admin.base import SecureModelView
from admin.fields import LinesField, TagListField
from admin.formatters import as_text_lines, as_words, truncated
from admin.validators import e164_phone, http_url
from core.db import db
from core.registration import drift
from core.registration.patterns import USE_CASES


class BrandView(SecureModelView):
    area = "brands"
    column_list = ("public_name", "legal_name", "website", "support_email", "created_at")
    column_searchable_list = ("public_name", "legal_name", "tax_id")
    form_excluded_columns = ("campaigns", "created_at")
    column_labels = {"sms_terms": "SMS terms", "privacy_clause": "Privacy policy: SMS clause"}
    column_descriptions = {
        "sms_terms": "Your text-message terms. A campaign's Readiness page writes a first "
                     "draft with the six sections reviewers look for.",
        "privacy_clause": "The text-messaging part of your privacy policy (Readiness writes a "
                          "draft).",
        "legal_pages_published": "Host the SMS terms and privacy clause on your link domain "
                                 "(/legal/<brand id>/terms and /privacy), for a business "
                                 "without a website of its own for them.",
    }
    form_args = {
        "support_phone": {"validators": [e164_phone]},
        "website": {"validators": [http_url]},
        "privacy_policy_url": {"validators": [http_url]},
        "terms_url": {"validators": [http_url]},
    }


def confirmation_problems(campaign: Any) -> list[str]:
    """What the first reply to the campaign's opt-in keywords would lack, as it is sent."""
    from core.capture import rules
    from core.keywords import replies

    return rules.confirmation_problems(replies.opt_in_reply(campaign.brand, campaign),
                                       campaign.brand)


def readiness_link(_view: Any, _context: Any, model: Any, _name: str) -> Markup:
    """The readiness screen, marked when the registration no longer matches the records."""
    url = url_for("readiness.campaign", campaign_id=model.id)
    changes = drift.changes(db.session, current_app, model)
    if not changes:
        return Markup('<a href="{}">Check</a>').format(url)
    return Markup('<a class="badge badge-danger" href="{}">{} change(s) since '
                  'registration</a>').format(url, len(changes))


class CampaignView(SecureModelView):
    area = "campaigns"
    column_list = ("name", "brand", "use_case", "status", "message_frequency",
                   "opt_in_keywords", "readiness", "created_at")
    column_labels = {"opt_in_keywords": "Opt-in keywords", "readiness": "Readiness"}
    column_descriptions = {
        "opt_in_confirmation": "The first reply to an opt-in keyword: the brand, what they "
                               "joined, how often messages come and how to stop.",
        "opt_in_keywords": "Every word people may text to join; all of them go into the "
                           "registration's message flow.",
    }
    column_searchable_list = ("name", "use_case")
    column_filters = ("status", "use_case", "created_at")
    column_formatters = {
        "sample_messages": as_text_lines,
        "opt_in_keywords": as_words,
        "opt_out_keywords": as_words,
        "help_keywords": as_words,
        "description": truncated,
        "readiness": readiness_link,
    }
    form_choices = {
        "status": [(s, s) for s in ("draft", "submitted", "approved", "rejected", "suspended")],
        "use_case": list(USE_CASES.items()),
    }
    form_excluded_columns = ("senders", "created_at")
    form_overrides = {"opt_in_keywords": TagListField, "opt_out_keywords": TagListField,
                      "help_keywords": TagListField, "sample_messages": LinesField}
    form_args = {
        "opt_in_keywords": {"description": "Words people text to join, separated by commas "
                                           "(JOIN, FLOWERS)."},
        "opt_out_keywords": {"description": "Besides STOP and its family, which always work."},
        "help_keywords": {"description": "Besides HELP, which always works."},
        "sample_messages": {"description": "One sample text per line, as registration shows "
                                           "them."},
        "call_to_action": {"description": "What people see where they opt in: the brand, "
                                          "what messages, how often, rates, not a condition "
                                          "of purchase, STOP/HELP and a link to the terms."},
        "status": {"description": "Marking it submitted or approved keeps the registration "
                                  "as it stands; later changes that make it untrue are "
                                  "flagged until someone re-reviews it."},
    }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if model.opt_in_keywords and model.brand is not None:
            found = confirmation_problems(model)
            if found:
                from core.capture.rules import sentence

                raise ValidationError("The reply people get when they text "
                                      f"{model.opt_in_keywords[0]} would lack "
                                      f"{sentence(found)}: add it to the opt-in confirmation "
                                      "(or set the message frequency).")
        super().on_model_change(form, model, is_created)
        status = sa.inspect(model).attrs.status.history
        if model.status in drift.WATCHED and (is_created or status.has_changes()):
            g.freeze_registration = model.status

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        reason = g.pop("freeze_registration", None)
        if reason:
            drift.freeze(db.session, current_app, model, reason, current_user.email)
            db.session.commit()
        super().after_model_change(form, model, is_created)


class SenderView(SecureModelView):
    area = "senders"
    column_list = ("address", "kind", "provider", "campaign", "per_second", "per_minute",
                   "daily_cap", "created_at")
    column_searchable_list = ("address",)
    column_filters = ("kind", "provider")
    column_descriptions = {
        "per_second": "Texts per second the carrier allows this sender (empty: no limit)",
        "per_minute": "Texts per minute (empty: no limit)",
        "daily_cap": "Texts per day; resets at midnight US/Pacific (T-Mobile's daily cap)",
    }
    form_args = {name: {"validators": [Optional(), NumberRange(min=1)]}
                 for name in ("per_second", "per_minute", "daily_cap")}
    form_excluded_columns = ("created_at",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Only installed providers can be chosen; a sender naming another would dead-letter.
        self.form_choices = {
            "kind": [(k, k) for k in ("long_code", "toll_free", "short_code", "alphanumeric")],
            "provider": [(name, name) for name in
                         sorted(current_app.extensions["consentdesk"].providers)],
        }
        super().__init__(*args, **kwargs)
