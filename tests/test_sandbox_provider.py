"""The sandbox provider's realism settings: a latency like a vendor's API and a share of
temporary 503s, both read from the environment's strings."""

from __future__ import annotations

import random
import time

import pytest

from core.builtin.sandbox import INVALID, SandboxProvider
from hooks.providers import DELIVERED, OutboundText, PermanentFailure, TemporaryFailure


def text(n: int = 0, to: str = "+12125550123") -> OutboundText:
    return OutboundText(key=f"k{n}", to=to, from_="+14155550142", body="Hi. Reply STOP.")


def test_no_settings_answers_at_once_and_delivers():
    started = time.perf_counter()
    assert SandboxProvider("s").send(text()).status == DELIVERED
    assert time.perf_counter() - started < 0.05


def test_latency_is_spent_on_every_send():
    provider = SandboxProvider("s", latency=0.05)
    started = time.perf_counter()
    for n in range(4):
        provider.send(text(n))
    assert time.perf_counter() - started >= 0.2


@pytest.mark.parametrize("rate", [0.02, 0.25, 0.5])
def test_the_error_rate_is_the_share_of_temporary_503s(rate):
    provider = SandboxProvider("s", error_rate=rate, rng=random.Random(7))
    failures = 0
    for n in range(4000):
        try:
            provider.send(text(n))
        except TemporaryFailure as failure:
            assert failure.code == "503" and not failure.uncertain
            failures += 1
    assert abs(failures / 4000 - rate) < 0.03


def test_a_rate_of_one_always_fails_and_magic_numbers_still_work():
    provider = SandboxProvider("s", error_rate=1.0)
    with pytest.raises(TemporaryFailure):
        provider.send(text())
    with pytest.raises(PermanentFailure):
        SandboxProvider("s").send(text(to=INVALID))


@pytest.mark.parametrize(("latency", "rate"), [(-1, 0), (0, 1.5), (0, -0.1)])
def test_impossible_settings_are_refused(latency, rate):
    with pytest.raises(ValueError, match="SANDBOX"):
        SandboxProvider("s", latency=latency, error_rate=rate)


def test_the_app_reads_them_from_its_settings(make_app):
    app = make_app(SANDBOX_LATENCY="0.2", SANDBOX_ERROR_RATE="0.05")
    provider = app.extensions["consentdesk"].providers["sandbox"]
    assert provider.latency == 0.2 and provider.error_rate == 0.05
