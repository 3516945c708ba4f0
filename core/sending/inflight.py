"""Sends in flight: provider calls on a bounded pool of threads, nothing queued behind them.

A provider's API answers in 100–300 ms; a worker that waited for each answer in turn would
send a handful of texts a second. The dispatcher starts a call only when a thread is free
(``room``), so every text it has handed over is really at the provider and every other one
can still be stopped by an opt-out that lands meanwhile. Each provider also has its own
ceiling (``Capabilities.max_in_flight``; 1 for a plugin whose ``send`` is not thread-safe).

The calls only talk to the vendor; every database write stays on the dispatcher's thread.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

# One pool of sending threads per process, kept between batches: starting threads for every
# 500-row batch cost more than the sends themselves with an instant provider. Keyed by the
# process id, so a forked worker never inherits its parent's (dead) threads.
_pool_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}


def shared_pool(size: int) -> ThreadPoolExecutor:
    """This process's pool, with at least ``size`` threads."""
    with _pool_lock:
        pool = _pools.get(os.getpid())
        if pool is None or pool._max_workers < size:
            if pool is not None:
                pool.shutdown(wait=False)  # its running calls finish; new ones go to the new
            pool = _pools[os.getpid()] = ThreadPoolExecutor(
                max_workers=size, thread_name_prefix="consentdesk-send")
        return pool


class InFlight:
    """At most ``limit`` calls at once, and at most ``ceiling(provider)`` per provider."""

    def __init__(self, limit: int, pool_size: int | None = None):
        self.limit = max(1, limit)
        self._pool = shared_pool(max(self.limit, pool_size or 0))
        self._running: dict[Future, str] = {}
        self._per_provider: Counter = Counter()

    def __enter__(self) -> InFlight:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._running:  # a call in flight finishes before the batch is left
            wait(list(self._running))

    def __len__(self) -> int:
        return len(self._running)

    def room(self, provider: str, ceiling: int) -> bool:
        return (len(self._running) < self.limit
                and self._per_provider[provider] < max(1, ceiling))

    def start(self, provider: str, call: Callable[..., Any], *args: Any) -> None:
        future = self._pool.submit(call, *args)
        self._running[future] = provider
        self._per_provider[provider] += 1

    def finished(self, timeout: float | None = 0) -> list[Any]:
        """The results of the calls that have finished, waiting up to ``timeout`` seconds for
        the first one (None: until one finishes; 0: do not wait)."""
        if not self._running:
            return []
        done, _ = wait(list(self._running), timeout=timeout, return_when=FIRST_COMPLETED)
        results = []
        for future in done:
            self._per_provider[self._running.pop(future)] -= 1
            results.append(future.result())  # calls catch their own errors
        return results

    def drain(self) -> list[Any]:
        results = []
        while self._running:
            results += self.finished(timeout=None)
        return results
