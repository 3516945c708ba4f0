"""Calendly for Consentdesk.

Verification is Calendly's: ``Calendly-Webhook-Signature: t=<unix time>,v1=<hex>`` where v1
is the HMAC-SHA256 of ``<t>.<raw body>`` under the subscription's signing key, compared in
constant time; a ``t`` more than three minutes from the server's clock is refused (Calendly's
own advice against replays). The event id is the event name and the invitee's URI, the same
on every redelivery.

- ``invitee.created``: the invitee as a contact (phone from the text-reminder number, else
  from an answer to a phone question) and ``appointment.booked`` with the start time and the
  invitee's time zone: the appointment confirmation flow confirms at once and reminds 24 h and
  2 h before (its steps, editable). Texts go only with transactional consent; a connection
  may record the text-reminder number the invitee typed as that consent, under the disclosure
  Calendly's booking page shows.
- ``invitee.canceled``: the reminders not yet sent are stopped, and (unless the invitee
  rescheduled, which sends a new ``invitee.created``) ``appointment.cancelled`` offers a new
  time with the booking page's link.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from wtforms import BooleanField, Form, PasswordField, StringField
from wtforms.validators import URL, InputRequired, Optional

from hooks import hookimpl
from hooks.integrations import (
    CancelPending,
    FlowEvent,
    Ignored,
    Integration,
    IntegrationRequest,
    MalformedDelivery,
    RecordConsent,
    SampleDelivery,
    UpsertContact,
    hmac_sha256,
    moment,
    same,
)

PHONE_QUESTION = re.compile(r"phone|mobile|cell|sms|text", re.I)


class CalendlySettings(Form):
    signing_key = PasswordField(
        "Webhook signing key", validators=[InputRequired()],
        description="The signing_key of the webhook subscription (or your OAuth app's).")
    booking_url = StringField(
        "Booking page", validators=[Optional(), URL(require_tld=False)],
        description="Where a cancelled invitee picks a new time, e.g. "
                    "https://calendly.com/bloom-and-branch/consultation.")
    reminder_consent = BooleanField(
        "Record the text-reminder number as consent to appointment texts",
        description="Calendly asks the invitee for a number to text reminders to; with this "
                    "on, that request is recorded as a transactional opt-in under the "
                    "disclosure below.")
    disclosure = StringField(
        "Disclosure on the booking page", validators=[Optional()],
        description="The Consentdesk disclosure matching what the booking page says about "
                    "text reminders.")


class Calendly(Integration):
    name = "calendly"
    label = "Calendly"
    description = ("Booking confirmations and reminders in the invitee's own time zone; "
                   "a cancellation stops the reminders and offers a new time.")
    settings_form = CalendlySettings
    secret_fields = ("signing_key",)
    tolerance = 180
    setup_help = ("Create a webhook subscription (POST https://api.calendly.com/"
                  "webhook_subscriptions) with this address as url, events invitee.created "
                  "and invitee.canceled, and a signing_key you also paste below.")

    def _parts(self, request: IntegrationRequest) -> dict[str, str]:
        header = request.header("Calendly-Webhook-Signature") or ""
        return dict(part.split("=", 1) for part in header.split(",") if "=" in part)

    def verify(self, request: IntegrationRequest, settings: Mapping[str, Any]) -> bool:
        key, parts = settings.get("signing_key"), self._parts(request)
        if not key or "t" not in parts or "v1" not in parts:
            return False
        expected = hmac_sha256(key, parts["t"].encode() + b"." + request.body).hex()
        return same(expected, parts["v1"])

    def signed_at(self, request: IntegrationRequest) -> datetime | None:
        return datetime.fromtimestamp(int(self._parts(request)["t"]), UTC)

    def event_id(self, request: IntegrationRequest) -> str | None:
        body = request.json()
        return f"{body.get('event')}:{(body.get('payload') or {}).get('uri')}"

    def topic(self, request: IntegrationRequest) -> str:
        return str(request.json().get("event") or "?")

    def sandbox_settings(self) -> dict[str, Any]:
        return _sandbox_settings()

    def sandbox_deliveries(self, settings: Mapping[str, Any], phone: str):
        return _sandbox_deliveries(settings, phone)

    def map(self, request: IntegrationRequest, settings: Mapping[str, Any]):
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
            raise MalformedDelivery("no payload object")
        kind, invitee = body.get("event"), body["payload"]
        if kind == "invitee.created":
            return _created(invitee, settings)
        if kind == "invitee.canceled":
            return _canceled(invitee, settings)
        return Ignored(f"event {kind} is not used by Consentdesk")


def _phone(invitee: dict) -> tuple[str | None, bool]:
    """The number to text and whether the invitee typed it as the text-reminder number."""
    if invitee.get("text_reminder_number"):
        return str(invitee["text_reminder_number"]), True
    for answer in invitee.get("questions_and_answers") or []:
        if PHONE_QUESTION.search(str(answer.get("question") or "")) and answer.get("answer"):
            return str(answer["answer"]), False
    return None, False


def _appointment(invitee: dict, settings: Mapping[str, Any]) -> dict[str, Any]:
    event = invitee.get("scheduled_event") or {}
    starts = event.get("start_time")
    if not starts:
        raise MalformedDelivery("the booking has no scheduled_event.start_time")
    return {"appointment_id": event.get("uri") or invitee.get("event"),
            "starts_at": moment(starts).isoformat(), "service": event.get("name"),
            "timezone": invitee.get("timezone"),
            "url": settings.get("booking_url") or invitee.get("reschedule_url")}


def _created(invitee: dict, settings: Mapping[str, Any]):
    phone, asked_for_texts = _phone(invitee)
    if not phone:
        return Ignored(f"booking {invitee.get('uri')} has no phone number: no texts")
    appointment = _appointment(invitee, settings)
    when = moment(invitee.get("created_at"))
    actions: list[Any] = [UpsertContact(phone, first_name=invitee.get("first_name"),
                                        last_name=invitee.get("last_name"),
                                        email=invitee.get("email"), tags=("calendly",))]
    if asked_for_texts and settings.get("reminder_consent"):
        actions.append(RecordConsent(
            phone, "transactional", "opt_in", when,
            f"Calendly booking {invitee.get('uri')}: asked for text reminders at {phone}",
            disclosure=settings.get("disclosure") or None))
    actions.append(FlowEvent(phone, "appointment.booked", appointment, when,
                             external_id=f"booked:{invitee.get('uri')}"))
    return actions


def _canceled(invitee: dict, settings: Mapping[str, Any]):
    phone, _ = _phone(invitee)
    if not phone:
        return Ignored(f"booking {invitee.get('uri')} has no phone number: nothing to cancel")
    appointment = _appointment(invitee, settings)
    reason = (invitee.get("cancellation") or {}).get("reason") or "no reason given"
    actions: list[Any] = [CancelPending(phone, {"appointment_id": appointment["appointment_id"]},
                                        f"cancelled in Calendly ({reason})")]
    if not invitee.get("rescheduled"):
        actions.append(FlowEvent(phone, "appointment.cancelled", appointment,
                                 moment((invitee.get("cancellation") or {}).get("created_at")
                                       or invitee.get("updated_at")),
                                 external_id=f"cancelled:{invitee.get('uri')}"))
    return actions




@hookimpl
def register_integrations(settings):
    return [Calendly()]


# ------------------------------------------------------------------------- the demo's sandbox


def _sandbox_settings() -> dict[str, Any]:
    return {"signing_key": "sandbox-calendly-key", "reminder_consent": True,
            "disclosure": "Calendly text reminders",
            "booking_url": "https://calendly.com/bloom-and-branch/consultation"}


def _sandbox_deliveries(settings: Mapping[str, Any], phone: str) -> list[SampleDelivery]:
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    body = {"event": "invitee.created", "created_at": datetime.now(UTC).isoformat(),
            "payload": {"uri": "https://api.calendly.com/scheduled_events/SANDBOX/invitees/1",
                        "first_name": "Maya", "last_name": "Lin", "email": "maya@example.com",
                        "text_reminder_number": phone, "timezone": "America/Los_Angeles",
                        "created_at": datetime.now(UTC).isoformat(), "rescheduled": False,
                        "questions_and_answers": [],
                        "reschedule_url": "https://calendly.com/reschedulings/SANDBOX",
                        "scheduled_event": {
                            "uri": "https://api.calendly.com/scheduled_events/SANDBOX",
                            "name": "Wedding flowers consultation",
                            "start_time": starts.isoformat()}}}
    raw = json.dumps(body).encode()
    t = str(int(time.time()))
    v1 = hmac_sha256(settings["signing_key"], t.encode() + b"." + raw).hex()
    return [SampleDelivery("events", {"Calendly-Webhook-Signature": f"t={t},v1={v1}",
                                      "Content-Type": "application/json"}, raw)]
