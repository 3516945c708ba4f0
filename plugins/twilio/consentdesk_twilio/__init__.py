"""Twilio for Consentdesk: sends through the Messages API with the official ``twilio`` SDK.

Settings (environment ``CONSENTDESK_<NAME>``):

- ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``: without both, the provider is not offered.
- ``TWILIO_API_BASE``: the API's base URL (default ``https://api.twilio.com``; tests point it
  at a local server).
- ``PUBLIC_URL`` (core): the base URL Twilio calls; signatures are checked against it, so
  they verify behind a proxy.

Point the number's "A message comes in" webhook at ``<PUBLIC_URL>/hooks/providers/twilio/inbound``.
Delivery receipts come to ``/hooks/providers/twilio/status`` (set per message).

Signatures are checked with the SDK's ``RequestValidator``, as Twilio computes them: over the
full URL and every POST parameter sorted by name, each key with all of its values when it
repeats. A JSON body is covered by the ``bodySHA256`` query parameter instead: the body must
hash to it, and a JSON body without it is refused. Error codes that say something about the
person (21610 opted out; 30003, 30005, 30006, 21614, 21635, 21612 cannot receive texts) are
declared in ``error_outcomes``, for send refusals and status callbacks alike.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from hooks import hookimpl
from hooks.providers import (
    DELIVERED,
    FAILED,
    OPTED_OUT,
    SENT,
    UNDELIVERABLE,
    UNDELIVERED,
    Capabilities,
    InboundText,
    MalformedWebhook,
    OutboundText,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    SendResult,
    StatusUpdate,
    TemporaryFailure,
    Throttled,
    WebhookReply,
    WebhookRequest,
)

TWILIO_API = "https://api.twilio.com"
UNSUBSCRIBED = 21610  # "Attempt to send to unsubscribed recipient"
ERROR_OUTCOMES = {
    "21610": OPTED_OUT,  # attempt to send to unsubscribed recipient
    "30003": UNDELIVERABLE,  # unreachable destination handset
    "30005": UNDELIVERABLE,  # unknown destination handset (inactive number)
    "30006": UNDELIVERABLE,  # landline or unreachable carrier
    "21614": UNDELIVERABLE,  # 'To' number is not a valid mobile number
    "21612": UNDELIVERABLE,  # 'To' number is not currently reachable via SMS
    "21635": UNDELIVERABLE,  # 'To' number cannot be a landline
}
STATUSES = {"sent": SENT, "delivered": DELIVERED, "undelivered": UNDELIVERED, "failed": FAILED}
# Every MessageStatus Twilio documents; the ones not in STATUSES move nothing forward.
KNOWN_STATUSES = frozenset({*STATUSES, "accepted", "scheduled", "canceled", "queued", "sending",
                            "receiving", "received", "read", "partially_delivered"})
INBOUND_FIELDS = ("From", "To", "Body", "MessageSid")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TIMEOUT_SECONDS = 15
# Sends at once through one account (the client and its session are thread-safe).
IN_FLIGHT = 64
TOO_MANY_REQUESTS = 20429


class _ApiBase(TwilioHttpClient):
    """The SDK's HTTP client, sending to another base URL (a local server in tests), with a
    keep-alive pool as large as the sends the core keeps in flight (the SDK's holds 32 at
    most and opens a fresh TLS connection for every send beyond)."""

    def __init__(self, base: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base = base.rstrip("/")
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=IN_FLIGHT)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioProvider(Provider):
    name = "twilio"
    capabilities = Capabilities(sms=True, mms=True, countries=("US", "CA", "GB", "AU"),
                                replies_to_stop_help=True, can_reconcile=True,
                                max_in_flight=IN_FLIGHT)
    error_outcomes = ERROR_OUTCOMES

    def __init__(self, account_sid: str, auth_token: str, api_base: str = TWILIO_API,
                 timeout: float = TIMEOUT_SECONDS):
        self.client = Client(account_sid, auth_token, http_client=_ApiBase(api_base, timeout))
        self.validator = RequestValidator(auth_token)

    def send(self, text: OutboundText) -> SendResult:
        options = {"to": text.to, "from_": text.from_, "body": text.body}
        if text.status_url:
            options["status_callback"] = text.status_url
        if text.media_urls:
            options["media_url"] = list(text.media_urls)
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as error:
            raise _failure(error) from error
        except requests.exceptions.ConnectionError as error:
            # Connect errors and connect timeouts: the request never reached Twilio.
            raise TemporaryFailure(f"cannot reach Twilio: {error}", code="connect") from error
        except requests.exceptions.Timeout as error:
            raise TemporaryFailure(f"Twilio did not answer: {error}", code="timeout",
                                   uncertain=True) from error
        return SendResult(message.sid, SENT)

    def find_sent(self, text: OutboundText) -> SendResult | None:
        since = (text.sending_since or datetime.now(UTC)) - timedelta(minutes=5)
        try:
            candidates = self.client.messages.list(to=text.to, from_=text.from_, limit=50)
        except (TwilioRestException, requests.exceptions.RequestException) as error:
            raise TemporaryFailure(f"cannot list messages: {error}") from error
        for message in candidates:
            created = message.date_created
            if message.body == text.body and (created is None or created >= since):
                return SendResult(message.sid, STATUSES.get(message.status, SENT))
        return None

    def verify(self, request: WebhookRequest) -> bool:
        signature = request.header("X-Twilio-Signature")
        if not signature:
            return False
        if "bodySHA256" in request.query:
            # A JSON body: the URL (with the body's hash) is signed, and the body must hash
            # to it. The SDK checks both when given the body as text.
            return self.validator.validate(request.url, request.body.decode("utf-8", "replace"),
                                           signature)
        if request.body and not request.content_type.endswith("form-urlencoded"):
            return False  # a body no signature covers
        return self.validator.validate(request.url, request.form, signature)

    def parse_inbound(self, request: WebhookRequest) -> list[InboundText]:
        form = _fields(request)
        missing = [name for name in INBOUND_FIELDS if name not in form]
        if missing:
            raise MalformedWebhook(f"no {', '.join(missing)}")
        return [InboundText(
            from_phone=form["From"], to_phone=form["To"], body=form["Body"],
            provider_message_id=form["MessageSid"], sent_at=datetime.now(UTC),
            # Advanced Opt-Out names the keyword it matched and has already replied.
            handled_by_provider=bool(form.get("OptOutType")))]

    def parse_status(self, request: WebhookRequest) -> list[StatusUpdate]:
        form = _fields(request)
        value = form.get("MessageStatus")
        if value is None or not form.get("MessageSid"):
            raise MalformedWebhook("no MessageStatus" if value is None else "no MessageSid")
        if value not in KNOWN_STATUSES:
            raise MalformedWebhook(f"unknown MessageStatus {value!r}")
        status = STATUSES.get(value)
        if status is None:  # queued, accepted, sending...: nothing to move forward to
            return []
        return [StatusUpdate(provider_message_id=form.get("MessageSid"), status=status,
                             message_key=request.query.get("message"),
                             error_code=form.get("ErrorCode") or None,
                             error_detail=form.get("ErrorMessage") or None)]

    def reply(self, request: WebhookRequest) -> WebhookReply:
        if request.kind == "inbound":
            return WebhookReply(EMPTY_TWIML, content_type="text/xml")
        return WebhookReply()

    def registration_payload(self, brand, campaign) -> dict:
        """Twilio's A2P campaign (us_app_to_person) fields, and beside them the brand's Trust
        Hub secondary customer profile (its end users' attributes), from the core's records."""
        samples = list(campaign.get("sample_messages") or [])
        return {
            "Description": campaign.get("description"),
            "MessageFlow": campaign.get("message_flow"),
            "MessageSamples": samples,
            "UsAppToPersonUsecase": campaign.get("use_case"),
            "HasEmbeddedLinks": any("http" in s for s in samples),
            "HasEmbeddedPhone": any(PHONE_IN_TEXT.search(s) for s in samples),
            "OptInKeywords": list(campaign.get("opt_in_keywords") or []),
            "OptOutKeywords": list(campaign.get("opt_out_keywords") or []),
            "HelpKeywords": list(campaign.get("help_keywords") or []),
            "HelpMessage": campaign.get("help_text"),
            "OptInMessage": campaign.get("opt_in_confirmation"),
            "BrandName": brand.get("public_name"),
            "CustomerProfile": customer_profile(brand),
        }


PHONE_IN_TEXT = re.compile(r"\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b")
# "500 Market St, San Francisco, CA 94105"
US_ADDRESS = re.compile(r"^(?P<street>.+?),\s*(?P<city>[^,]+?),\s*(?P<region>[A-Z]{2})\s+"
                        r"(?P<postal_code>\d{5}(?:-\d{4})?)\s*$")


def customer_profile(brand) -> dict:
    """The Trust Hub end users a secondary customer profile bundles: business information,
    authorised representative and address (``Attributes`` of each EndUser / Address)."""
    contact = (brand.get("authorized_contact") or "").split(",", 1)
    names = contact[0].split()
    address = US_ADDRESS.match((brand.get("address") or "").strip())
    return {
        "customer_profile_business_information": {
            "business_name": brand.get("legal_name"),
            "business_registration_identifier": "EIN",
            "business_registration_number": brand.get("tax_id"),
            "business_identity": "direct_customer",
            "business_regions_of_operation": "USA_AND_CANADA",
            "website_url": brand.get("website"),
        },
        "authorized_representative_1": {
            "first_name": names[0] if names else None,
            "last_name": " ".join(names[1:]) or None,
            "business_title": contact[1].strip() if len(contact) > 1 else None,
            "email": brand.get("support_email"),
            "phone_number": brand.get("support_phone"),
        },
        "address": {"customer_name": brand.get("legal_name"), "iso_country": "US",
                    **(address.groupdict() if address else {"street": brand.get("address")})},
    }


def _fields(request: WebhookRequest) -> dict:
    """The request's fields: the form, or a JSON object body (signed with bodySHA256)."""
    if request.form:
        return request.form
    if request.body and "bodySHA256" in request.query:
        try:
            data = json.loads(request.body)
        except ValueError:
            raise MalformedWebhook("the body is not JSON") from None
        if isinstance(data, dict):
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        raise MalformedWebhook("the body is not a JSON object")
    raise MalformedWebhook("an empty request")


def _failure(error: TwilioRestException) -> Exception:
    detail = f"Twilio {error.status} error {error.code}: {error.msg}"
    if error.code == UNSUBSCRIBED:
        return RecipientOptedOut(detail, code=str(error.code))
    if error.status == 429 or error.code == TOO_MANY_REQUESTS:
        # The SDK's exception does not carry Retry-After: the core pauses a second and more.
        return Throttled(detail, code=str(error.code or error.status))
    if error.status >= 500:
        return TemporaryFailure(detail, code=str(error.code or error.status))
    return PermanentFailure(detail, code=str(error.code or error.status))


@hookimpl
def register_providers(settings):
    sid, token = settings.get("TWILIO_ACCOUNT_SID"), settings.get("TWILIO_AUTH_TOKEN")
    if not (sid and token):
        return []
    return [TwilioProvider(sid, token, settings.get("TWILIO_API_BASE") or TWILIO_API,
                           float(settings.get("TWILIO_TIMEOUT") or TIMEOUT_SECONDS))]
