"""Registration records: brands, campaigns, senders."""

from __future__ import annotations

from typing import Any

from flask import current_app
from wtforms.validators import NumberRange, Optional, ValidationError

from admin.base import SecureModelView
from admin.fields import LinesField, TagListField
from admin.formatters import as_text_lines, as_words, truncated
from admin.validators import e164_phone, http_url


class BrandView(SecureModelView):
    area = "brands"
    column_list = ("public_name", "legal_name", "website", "support_email", "created_at")
    column_searchable_list = ("public_name", "legal_name", "tax_id")
    form_excluded_columns = ("campaigns", "created_at")
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


class CampaignView(SecureModelView):
    area = "campaigns"
    column_list = ("name", "brand", "use_case", "status", "message_frequency",
                   "opt_in_keywords", "created_at")
    column_labels = {"opt_in_keywords": "Opt-in keywords"}
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
    }
    form_choices = {
        "status": [(s, s) for s in ("draft", "submitted", "approved", "rejected", "suspended")]
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
