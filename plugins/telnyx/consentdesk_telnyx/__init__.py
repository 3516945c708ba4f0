"""Telnyx for Consentdesk: Messaging API v2 through the official ``telnyx`` SDK.

Settings (environment ``CONSENTDESK_<NAME>``):

- ``TELNYX_API_KEY``: without it, the provider is not offered.
- ``TELNYX_PUBLIC_KEY``: the account's base64 Ed25519 public key (Mission Control, Keys &
  Credentials); webhooks are refused without it.
- ``TELNYX_API_BASE``: the API base URL (default ``https://api.telnyx.com/v2``).
- ``PUBLIC_URL`` (core): delivery receipts are requested at
  ``<PUBLIC_URL>/hooks/providers/telnyx/status``; point the messaging profile's inbound
  webhook at ``<PUBLIC_URL>/hooks/providers/telnyx/inbound``.

Webhooks are verified with the SDK's Ed25519 check: signature over ``timestamp|body``,
timestamp within 5 minutes. Error codes that say something about the person (40300 blocked
due to a STOP; 40001 not routable, a landline or a number that cannot take texts) are
declared in ``error_outcomes``, for send refusals and ``message.finalized`` callbacks alike. Telnyx has no way to look a message up by our key, so a send
whose outcome is unknown (a timeout) is never resent automatically: it goes to the dead
letters for a person to check.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

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
    WebhookRequest,
)

if TYPE_CHECKING:
    import telnyx

# The Telnyx SDK takes about a second to import (thousands of pydantic models): it is
# imported when a Telnyx account is configured, so every other command stays quick.

STOPPED = "40300"  # "Blocked due to STOP message"
ERROR_OUTCOMES = {
    STOPPED: OPTED_OUT,
    "40001": UNDELIVERABLE,  # not routable: a landline or a number that cannot take texts
}
# message.sent / message.finalized carry the recipient's status.
STATUSES = {"sent": SENT, "delivered": DELIVERED, "delivery_failed": UNDELIVERED,
            "delivery_unconfirmed": SENT, "sending_failed": FAILED}
TIMEOUT_SECONDS = 15.0
TOO_MANY_REQUESTS = "10011"
IN_FLIGHT = 64  # sends at once: the SDK's httpx client is thread-safe and keeps 100 alive


class TelnyxProvider(Provider):
    name = "telnyx"
    capabilities = Capabilities(sms=True, mms=True, countries=("US", "CA"),
                                replies_to_stop_help=False, can_reconcile=False,
                                max_in_flight=IN_FLIGHT)
    error_outcomes = ERROR_OUTCOMES

    def __init__(self, api_key: str, public_key: str | None, api_base: str | None = None,
                 timeout: float = TIMEOUT_SECONDS):
        import telnyx

        # The core retries with backoff; the SDK must not retry on its own.
        self.client = telnyx.Telnyx(api_key=api_key, public_key=public_key, base_url=api_base,
                                    max_retries=0, timeout=timeout)
        self.public_key = public_key

    def send(self, text: OutboundText) -> SendResult:
        import telnyx

        options = {"to": text.to, "from_": text.from_, "text": text.body}
        if text.status_url:
            options["webhook_url"] = text.status_url
        if text.media_urls:
            options["media_urls"] = list(text.media_urls)
        try:
            response = self.client.messages.send(**options)
        except telnyx.APITimeoutError as error:
            raise TemporaryFailure("Telnyx did not answer in time", code="timeout",
                                   uncertain=True) from error
        except telnyx.APIConnectionError as error:
            never_sent = isinstance(error.__cause__, httpx.ConnectError)
            raise TemporaryFailure(f"cannot reach Telnyx: {error}", code="connect",
                                   uncertain=not never_sent) from error
        except telnyx.APIStatusError as error:
            raise _failure(error) from error
        return SendResult(response.data.id, SENT)

    def verify(self, request: WebhookRequest) -> bool:
        if not self.public_key:
            return False
        from telnyx.lib.webhook_verification import (
            WebhookVerificationError,
            verify_webhook_signature,
        )

        try:
            verify_webhook_signature(request.body, dict(request.headers), self.public_key)
        except WebhookVerificationError:
            return False
        return True

    def parse_inbound(self, request: WebhookRequest) -> list[InboundText]:
        data = _data(request)
        if data.get("event_type") != "message.received":
            return []
        payload = _payload(data)
        try:
            from_phone = payload["from"]["phone_number"]
            to_phone = payload["to"][0]["phone_number"]
            message_id = payload["id"]
        except (KeyError, IndexError, TypeError):
            raise MalformedWebhook("a message.received without from, to or id") from None
        return [InboundText(
            from_phone=from_phone, to_phone=to_phone, body=payload.get("text") or "",
            provider_message_id=message_id,
            sent_at=_time(payload.get("received_at") or data.get("occurred_at")))]

    def parse_status(self, request: WebhookRequest) -> list[StatusUpdate]:
        data = _data(request)
        if data.get("event_type") not in ("message.sent", "message.finalized"):
            return []
        payload = _payload(data)
        if not payload.get("id"):
            raise MalformedWebhook(f"a {data['event_type']} without a message id")
        updates = []
        for recipient in payload.get("to") or []:
            status = STATUSES.get(recipient.get("status"))
            if status is None:
                continue
            errors = payload.get("errors") or []
            updates.append(StatusUpdate(
                provider_message_id=payload["id"], status=status,
                message_key=request.query.get("message"),
                error_code=str(errors[0].get("code")) if errors else None,
                error_detail=errors[0].get("detail") if errors else None))
        return updates

    def registration_payload(self, brand, campaign) -> dict:
        """Telnyx 10DLC campaign fields, from the core's records."""
        samples = list(campaign.get("sample_messages") or [])
        return {
            "usecase": campaign.get("use_case"),
            "description": campaign.get("description"),
            "messageFlow": campaign.get("message_flow"),
            **{f"sample{n}": text for n, text in enumerate(samples[:5], start=1)},
            "helpMessage": campaign.get("help_text"),
            "optinKeywords": ",".join(campaign.get("opt_in_keywords") or []),
            "optoutKeywords": ",".join(campaign.get("opt_out_keywords") or []),
            "helpKeywords": ",".join(campaign.get("help_keywords") or []),
            "optinMessage": campaign.get("opt_in_confirmation"),
            "embeddedLink": any("http" in s for s in samples),
            "brandDisplayName": brand.get("public_name"),
        }


def _data(request: WebhookRequest) -> dict:
    try:
        body = json.loads(request.body)
    except ValueError:
        raise MalformedWebhook("the body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise MalformedWebhook("no data object")
    if not isinstance(body["data"].get("event_type"), str):
        raise MalformedWebhook("no event_type")
    return body["data"]


def _payload(data: dict) -> dict:
    if not isinstance(data.get("payload"), dict):
        raise MalformedWebhook(f"a {data.get('event_type')} without a payload")
    return data["payload"]


def _failure(error: telnyx.APIStatusError) -> Exception:
    errors = (error.body or {}).get("errors") if isinstance(error.body, dict) else None
    first = errors[0] if errors else {}
    code = str(first.get("code") or error.status_code)
    detail = f"Telnyx {error.status_code} error {code}: {first.get('title') or error.message}"
    if code == STOPPED:
        return RecipientOptedOut(detail, code=code)
    if error.status_code == 429 or code == TOO_MANY_REQUESTS:
        return Throttled(detail, code=code, retry_after=_retry_after(error.response))
    if error.status_code >= 500:
        return TemporaryFailure(detail, code=code)
    return PermanentFailure(detail, code=code)


def _retry_after(response: httpx.Response) -> float | None:
    """How long Telnyx asks us to wait: Retry-After (seconds or an HTTP date) or the
    documented x-ratelimit-reset (seconds until the window resets); None when neither says."""
    for header in ("retry-after", "x-ratelimit-reset"):
        value = (response.headers.get(header) or "").strip()
        try:
            seconds = float(value)
        except ValueError:
            seconds = None
        if seconds is not None and math.isfinite(seconds):
            return max(0.0, seconds)
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError, IndexError):
            continue
    return None


def _time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        raise MalformedWebhook(f"time {value!r} is not ISO-8601") from None


@hookimpl
def register_providers(settings):
    key = settings.get("TELNYX_API_KEY")
    if not key:
        return []
    return [TelnyxProvider(key, settings.get("TELNYX_PUBLIC_KEY"),
                           settings.get("TELNYX_API_BASE") or None,
                           float(settings.get("TELNYX_TIMEOUT") or TIMEOUT_SECONDS))]
