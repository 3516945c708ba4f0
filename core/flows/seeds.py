"""The ready-made flows, created in one click from the admin and editable after: the rules'
four first flows, and the rescheduling and cart reminders the integrations start."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.models import Campaign, Flow, MessageType

SEED_FLOWS: list[dict[str, Any]] = [
    {
        "name": "Website lead welcome",
        "purpose": "Welcome a new lead from the website form and follow up once if they "
                   "have not bought.",
        "trigger": "form.submitted",
        "message_type": "marketing",
        "success_metric": "order.created",
        "steps": [
            {"send": "[Brand]: thanks for reaching out! We'll text you here about your "
                     "request. Questions? Call [phone]. Your choices: [preferences link] "
                     "Reply STOP to opt out, HELP for help."},
            {"wait": "1d"},
            {"stop_if": "converted"},
            {"send": "[Brand]: still deciding? Our favourites are here: [branded link] "
                     "Reply STOP to opt out.", "link": "{website}"},
        ],
    },
    {
        "name": "Appointment confirmation",
        "purpose": "Confirm a booking at once and remind the day before, unless cancelled.",
        "trigger": "appointment.booked",
        "message_type": "transactional",
        "success_metric": "appointment.kept",
        "steps": [
            {"send": "[Brand]: your appointment is booked for [date] at [time]. To change it, "
                     "call [phone]. Reply STOP to opt out."},
            {"wait": {"before": "24h"}},
            {"stop_if": "appointment.cancelled"},
            {"send": "[Brand] reminder: see you [date] at [time]. Need to reschedule? Call "
                     "[phone]. Reply STOP to opt out.", "expires": True},
            {"wait": {"before": "2h"}},
            {"stop_if": "appointment.cancelled"},
            {"send": "[Brand]: see you at [time] today. Running late? Call [phone]. Reply STOP "
                     "to opt out.", "expires": True},
        ],
    },
    {
        "name": "Appointment cancelled: rebook",
        "purpose": "Offer a new time when an appointment is cancelled.",
        "trigger": "appointment.cancelled",
        "message_type": "transactional",
        "success_metric": "appointment.booked",
        "steps": [
            {"send": "[Brand]: your appointment on [date] at [time] is cancelled. Pick a new "
                     "time here: [branded link] Reply STOP to opt out."},
        ],
    },
    {
        "name": "Promotional campaign",
        "purpose": "A seasonal offer to people who opted in to promotions.",
        "trigger": "campaign.send",
        "message_type": "marketing",
        "success_metric": "order.created",
        "steps": [
            {"send": "[Brand]: [offer] Shop now: [branded link] Reply STOP to opt out.",
             "offer": "20% off spring bouquets this weekend.", "link": "{website}"},
        ],
    },
    {
        "name": "Post-purchase follow-up",
        "purpose": "Ask for a review two days after delivery.",
        "trigger": "order.delivered",
        "message_type": "transactional",
        "success_metric": "review.posted",
        "steps": [
            {"wait": "2d"},
            {"send": "[Brand]: thanks for your order! How did we do? Tell us here: "
                     "[branded link] Reply STOP to opt out.", "link": "{website}"},
        ],
    },
    {
        "name": "Satisfaction survey",
        "purpose": "Ask how a support case went once the ticket is solved.",
        "trigger": "ticket.solved",
        "message_type": "support",
        "success_metric": "survey.answered",
        "steps": [
            {"send": "[Brand]: your request is solved. How did we do? Tell us in one tap: "
                     "[branded link] Reply STOP to opt out."},
        ],
    },
    {
        "name": "Support case update",
        "purpose": "Tell the requester their case has news, when they asked for support texts.",
        "trigger": "ticket.updated",
        "message_type": "support",
        "success_metric": "ticket.solved",
        "steps": [
            {"send": "[Brand]: there is an update on your request. Read it here: "
                     "[branded link] Reply STOP to opt out."},
        ],
    },
    {
        "name": "Birthday offer",
        "purpose": "A yearly birthday treat for subscribers whose birthday a CRM or loyalty "
                   "system sent (attribute birthday).",
        "trigger": "contact.birthday",
        "message_type": "marketing",
        "success_metric": "order.created",
        "steps": [
            {"send": "[Brand]: happy birthday from all of us! Enjoy 15% off this week: "
                     "[branded link] Reply STOP to opt out.", "link": "{website}"},
        ],
    },
    {
        "name": "Abandoned cart reminder",
        "purpose": "Remind a subscriber of the cart they left, once, unless they order.",
        "trigger": "checkout.abandoned",
        "message_type": "marketing",
        "success_metric": "order.created",
        "steps": [
            {"wait": "1h"},
            {"stop_if": "converted"},
            {"send": "[Brand]: you left something in your cart. It is waiting here: "
                     "[branded link] Reply STOP to opt out."},
        ],
    },
]


def create(session: Session, name: str, campaign: Campaign | None,
           enabled: bool = False) -> Flow:
    """The ready-made flow ``name`` (its links point at the brand's website), added disabled
    unless ``enabled``; an existing flow of that name is returned unchanged."""
    existing = session.scalars(sa.select(Flow).where(Flow.name == name)).first()
    if existing is not None:
        return existing
    seed = next(s for s in SEED_FLOWS if s["name"] == name)
    website = (campaign.brand.website if campaign and campaign.brand.website
               else "https://example.com")
    steps = [{k: (v.format(website=website) if k == "link" else v) for k, v in step.items()}
             for step in seed["steps"]]
    kind = session.scalars(sa.select(MessageType).filter_by(slug=seed["message_type"])).one()
    flow = Flow(name=name, purpose=seed["purpose"], trigger=seed["trigger"], message_type=kind,
                campaign=campaign, steps=steps, success_metric=seed["success_metric"],
                enabled=enabled)
    session.add(flow)
    session.flush()
    return flow
