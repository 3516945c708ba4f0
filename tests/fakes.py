"""A provider whose "vendor" is a dict: it can accept, fail, time out or crash on demand."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from hooks import hookimpl
from hooks.providers import (
    Branding,
    Capabilities,
    OutboundText,
    PermanentFailure,
    Provider,
    RecipientOptedOut,
    SendResult,
    TemporaryFailure,
    Throttled,
)


class FakeVendor(Provider):
    name = "fake"
    capabilities = Capabilities(can_reconcile=True)

    def __init__(self):
        self.accepted: dict[str, OutboundText] = {}  # what the vendor holds, by key
        self.calls: list[str] = []  # every send call, in order
        # phone -> "500", "timeout", "400", "opted_out", "429" (Retry-After: 30)
        self.behaviour: dict[str, str] = {}
        self.before_send: Callable[[OutboundText], None] | None = None

    def send(self, text: OutboundText) -> SendResult:
        self.calls.append(text.to)
        if self.before_send:
            self.before_send(text)
        how = self.behaviour.get(text.to)
        if how == "429":
            raise Throttled("vendor answered 429", code="429", retry_after=30)
        if how == "500":
            raise TemporaryFailure("vendor answered 500", code="500")
        if how == "timeout":
            self.accepted[text.key] = text  # it got there; the answer did not come back
            raise TemporaryFailure("read timed out", code="timeout", uncertain=True)
        if how == "400":
            raise PermanentFailure("invalid 'To' number", code="21211")
        if how == "opted_out":
            raise RecipientOptedOut("attempt to send to unsubscribed recipient", code="21610")
        self.accepted[text.key] = text
        return SendResult(self.id_for(text.key))

    def find_sent(self, text: OutboundText) -> SendResult | None:
        return SendResult(self.id_for(text.key)) if text.key in self.accepted else None

    def verify(self, request) -> bool:
        return False

    @staticmethod
    def id_for(key: str) -> str:
        return "FK" + hashlib.sha1(key.encode()).hexdigest()[:16]


class FakePlugin:
    def __init__(self, vendor: FakeVendor):
        self.vendor = vendor

    @hookimpl
    def register_providers(self, settings):
        return [self.vendor]


class Reseller:
    """A reseller's bundle: its own product name, logo and colour."""

    @hookimpl
    def register_branding(self, settings):
        return Branding(product_name="TextRight", logo_url="/static/textright.svg",
                        primary_colour="#223344")
