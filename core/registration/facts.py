"""What a registration says and what the ledger knows, gathered once for the rules to read.

:class:`Registration` holds the text fields a reviewer reads and the opt-in sources this
install really has (hosted forms, their paper versions, keywords). It is built from a
campaign's records (:func:`from_campaign`) or from one pasted field (:func:`from_text`), so
the same rules check both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core.keywords import replies
from core.models import Campaign, Flow, OptInForm, Sender

# The fields the checker knows, as ``--field`` names them.
FIELDS = ("description", "message_flow", "samples", "call_to_action", "terms", "privacy",
          "opt_in_reply", "opt_out_reply", "help_reply", "keywords", "website")


@dataclass(frozen=True)
class Source:
    """One way people really opt in to this campaign, as configured in Consentdesk."""

    kind: str  # web_form, paper_form, keyword
    label: str
    url: str | None = None  # the page or hosted image a reviewer can open
    keywords: tuple[str, ...] = ()
    number: str | None = None  # where a keyword is texted
    disclosure: str | None = None  # the consent text a hosted form shows


@dataclass(frozen=True)
class FlowText:
    name: str
    message_type: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Registration:
    brand_names: tuple[str, ...] = ()
    website: str | None = None
    use_case: str | None = None
    description: str | None = None
    message_flow: str | None = None
    samples: tuple[str, ...] | None = None
    call_to_action: str | None = None
    terms: str | None = None
    privacy: str | None = None
    terms_url: str | None = None
    privacy_url: str | None = None
    opt_in_reply: str | None = None
    opt_out_reply: str | None = None
    help_reply: str | None = None
    opt_in_keywords: tuple[str, ...] | None = None
    opt_out_keywords: tuple[str, ...] = ()
    help_keywords: tuple[str, ...] = ()
    # What the ledger knows (empty when a pasted text is checked alone).
    sources: tuple[Source, ...] = ()
    numbers: tuple[str, ...] = ()
    flows: tuple[FlowText, ...] = ()
    from_records: bool = False
    fields: frozenset[str] = field(default_factory=frozenset)  # which fields were given

    def text(self, name: str) -> str | None:
        if name == "samples":
            return "\n".join(self.samples) if self.samples is not None else None
        if name == "keywords":
            return ", ".join(self.opt_in_keywords) if self.opt_in_keywords is not None else None
        return getattr(self, name)

    def everything(self) -> list[tuple[str, str]]:
        """(field, text) for every text field given."""
        return [(name, self.text(name) or "") for name in FIELDS if self.text(name)]


# Other names people (and the providers' APIs) give the same fields.
ALIASES = {
    "messageflow": "message_flow", "flow": "message_flow", "opt_in_flow": "message_flow",
    "campaign_description": "description", "use_case_description": "description",
    "sample_messages": "samples", "sample": "samples", "message_samples": "samples",
    "cta": "call_to_action", "disclosure": "call_to_action",
    "terms_of_service": "terms", "sms_terms": "terms", "tos": "terms",
    "privacy_policy": "privacy", "privacy_clause": "privacy",
    "opt_in_confirmation": "opt_in_reply", "opt_in_message": "opt_in_reply",
    "opt_out_confirmation": "opt_out_reply", "opt_out_message": "opt_out_reply",
    "stop_reply": "opt_out_reply", "help_message": "help_reply", "help_text": "help_reply",
    "opt_in_keywords": "keywords", "website_url": "website",
}


def field_named(name: str) -> str:
    """``message-flow``, ``MessageFlow`` or ``opt_in_confirmation`` → the checker's field."""
    key = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", (name or "").strip()).lower()
    key = re.sub(r"[\s-]+", "_", key)
    return ALIASES.get(key, key)


def from_text(field_name: str, text: str, *, brand_names: tuple[str, ...] = (),
              website: str | None = None, use_case: str | None = None) -> Registration:
    """A registration holding one pasted field, for ``--field NAME --text TEXT``."""
    field_name = field_named(field_name)
    if field_name not in FIELDS:
        raise ValueError(f"unknown field {field_name!r}; one of: {', '.join(FIELDS)}")
    values: dict = {"brand_names": brand_names, "website": website, "use_case": use_case}
    if field_name == "samples":
        values["samples"] = tuple(line.strip() for line in text.splitlines() if line.strip())
    elif field_name == "keywords":
        values["opt_in_keywords"] = tuple(w.strip().upper() for w in text.replace(";", ",")
                                          .split(",") if w.strip())
    else:
        values[field_name] = text
    return Registration(fields=frozenset({field_name}), **values)


def from_campaign(session: Session, app: Flask, campaign: Campaign, *,
                  pages: dict[str, str] | None = None) -> Registration:
    """The campaign's registration as its records hold it; ``pages`` (terms, privacy) are
    texts read from the live pages, which win over the stored ones."""
    brand = campaign.brand
    pages = pages or {}
    numbers = tuple(session.scalars(sa.select(Sender.address).where(
        Sender.campaign_id == campaign.id).order_by(Sender.id)))
    return Registration(
        brand_names=tuple(n for n in (brand.public_name, brand.legal_name) if n),
        website=brand.website,
        use_case=campaign.use_case,
        description=campaign.description,
        message_flow=campaign.message_flow,
        samples=tuple(s for s in campaign.sample_messages or () if s and s.strip()),
        call_to_action=campaign.call_to_action,
        terms=pages.get("terms") or brand.sms_terms,
        privacy=pages.get("privacy") or brand.privacy_clause,
        terms_url=brand.terms_url or (hosted_url(app, brand, "terms")
                                      if brand.legal_pages_published else None),
        privacy_url=brand.privacy_policy_url or (hosted_url(app, brand, "privacy")
                                                 if brand.legal_pages_published else None),
        opt_in_reply=replies.opt_in_reply(brand, campaign),
        opt_out_reply=replies.stop_reply(brand),
        help_reply=replies.help_reply(brand, campaign),
        opt_in_keywords=tuple(k.upper() for k in campaign.opt_in_keywords or ()),
        opt_out_keywords=tuple(campaign.opt_out_keywords or ()),
        help_keywords=tuple(campaign.help_keywords or ()),
        sources=tuple(sources(session, app, campaign, numbers)),
        numbers=numbers,
        flows=tuple(flow_texts(session, campaign)),
        from_records=True,
        fields=frozenset(FIELDS),
    )


def public_base(app: Flask, brand) -> str:
    from core.flows.links import link_base

    return link_base(app, brand).rstrip("/")


def hosted_url(app: Flask, brand, page: str) -> str:
    return f"{public_base(app, brand)}/legal/{brand.id}/{page}"


def campaign_forms(session: Session, campaign: Campaign) -> list[OptInForm]:
    return list(session.scalars(sa.select(OptInForm).where(
        OptInForm.campaign_id == campaign.id, OptInForm.published_at.is_not(None))
        .order_by(OptInForm.id)))


def sources(session: Session, app: Flask, campaign: Campaign,
            numbers: tuple[str, ...]) -> list[Source]:
    base = public_base(app, campaign.brand)
    found: list[Source] = []
    for form in campaign_forms(session, campaign):
        found.append(Source("web_form", form.name, url=f"{base}/f/{form.slug}",
                            disclosure=form.disclosure.text))
        found.append(Source("paper_form", f"{form.name} (paper)",
                            url=f"{base}/f/{form.slug}/paper.svg"))
    if campaign.opt_in_keywords:
        found.append(Source("keyword", "Text keyword",
                            keywords=tuple(k.upper() for k in campaign.opt_in_keywords),
                            number=numbers[0] if numbers else None))
    return found


def campaign_flows(session: Session, campaign: Campaign) -> list[Flow]:
    """The enabled flows that send under this campaign (a flow without a campaign sends
    under the only campaign there is)."""
    only = session.scalar(sa.select(sa.func.count(Campaign.id))) == 1
    where = Flow.campaign_id == campaign.id
    if only:
        where = sa.or_(where, Flow.campaign_id.is_(None))
    return list(session.scalars(sa.select(Flow).where(Flow.enabled, where).order_by(Flow.id)))


def flow_texts(session: Session, campaign: Campaign) -> list[FlowText]:
    return [FlowText(flow.name, flow.message_type.slug,
                     tuple(step["send"] for step in flow.steps or ()
                           if isinstance(step, dict) and step.get("send")))
            for flow in campaign_flows(session, campaign)]

