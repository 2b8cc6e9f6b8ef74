"""The shared rate limiter: the client's ``RateLimiter`` seam, backed by a shared store.

One :class:`SharedRateLimiter` per (API key, priority) in a process; every process and
host whose limiters use the same store and ``key_id`` share one budget. No Dagster here:
the resource in :mod:`.resource` builds these.

How a permit is obtained: within a process, callers queue on a gate (one per event loop),
so only one of them at a time talks to the store; it asks the store for a permit and, if
refused, sleeps for the wait the store computed, then asks again. The store's answer
already accounts for the sliding window, the steady pace (one permit per span / limit), a
429 pause, what the server says is left and normal-priority waiters elsewhere (see
:mod:`.key_state`). Store calls are blocking, so they
run in a worker thread: the event loop keeps serving the requests in flight.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
import socket
import threading
import time
import uuid
import weakref
from collections import Counter
from dataclasses import dataclass, field

from hindsight_pipeline.hindsight_api.limiter import RateLimitHeaders
from hindsight_pipeline.rate_limiting.key_state import AcquireDecision, AcquireRequest
from hindsight_pipeline.rate_limiting.plans import RateLimitPolicy
from hindsight_pipeline.rate_limiting.priority import Priority, parse_priority
from hindsight_pipeline.rate_limiting.store import RateLimitStore, validate_key_id

logger = logging.getLogger("hindsight_pipeline.rate_limiting")

# When the request behind a response was granted. The client calls acquire() and
# observe() in the same task, so the value set by acquire() is the one observe() reads.
_acquired_at: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "hindsight_rate_limit_acquired_at", default=None
)
# observe() without a grant in its context (a caller outside the client): assume the
# request left this long ago, so grants of the last second count as not yet seen.
UNKNOWN_GRANT_AGE_SECONDS = 1.0
# Sleep at most this long between two asks, so a waiter notices a changed store.
MAX_SLEEP_SECONDS = 5.0
# asyncio may wake a timer a hair early; without this the store would answer "wait 0.3 ms".
_WAKE_MARGIN_SECONDS = 0.001


@dataclass
class LimiterStats:
    """What one limiter did (in this process): for progress lines, tests and benchmarks."""

    granted: int = 0
    waited_s: float = 0.0
    refusals: Counter[str] = field(default_factory=Counter)
    server_views: int = 0
    pauses: int = 0


class SharedRateLimiter:
    """A ``RateLimiter`` (acquire / observe / pause_until) shared through ``store``.

    Args:
        store: where the key's state lives (see :func:`.store.open_store`).
        key_id: a non-secret name of the API key (:func:`.store.api_key_fingerprint`).
        policy: the limit, window, share and guard (:func:`.plans.resolve_policy`).
        priority: ``NORMAL`` (the daily run) or ``LOW`` (backfills, status polling).
        max_pause_s: a 429's reset further away than this is not believed (a garbled
            header must not stop every sender for days); default two windows, at least 60 s.
    """

    def __init__(
        self,
        store: RateLimitStore,
        key_id: str,
        policy: RateLimitPolicy,
        *,
        priority: Priority | str = Priority.NORMAL,
        max_pause_s: float | None = None,
    ) -> None:
        self._store = store
        self._key_id = validate_key_id(key_id)
        self._policy = policy
        self._priority = parse_priority(priority)
        self._max_pause_s = (
            max_pause_s if max_pause_s is not None else max(60.0, 2 * policy.window_seconds)
        )
        self._server_limit: int | None = None
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._gates_lock = threading.Lock()
        self._waiter_prefix = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = LimiterStats()

    def __repr__(self) -> str:
        return (
            f"SharedRateLimiter(key_id={self._key_id!r}, priority={self._priority.value!r}, "
            f"limit={self.effective_limit}/{self._policy.window_seconds:g}s, store={self._store!r})"
        )

    # ---- what it enforces ----------------------------------------------------------------

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def priority(self) -> Priority:
        return self._priority

    @property
    def policy(self) -> RateLimitPolicy:
        """The configured policy, capped by the limit the server reported, if lower."""
        if self._server_limit is None:
            return self._policy
        return self._policy.with_server_limit(self._server_limit)

    @property
    def effective_limit(self) -> int:
        """Permits per window this limiter may take (share of the limit)."""
        return self.policy.effective_limit

    @property
    def store(self) -> RateLimitStore:
        return self._store

    def with_priority(self, priority: Priority | str) -> SharedRateLimiter:
        """A limiter on the same key and store with another priority."""
        return SharedRateLimiter(
            self._store,
            self._key_id,
            self._policy,
            priority=priority,
            max_pause_s=self._max_pause_s,
        )

    # ---- the seam ------------------------------------------------------------------------

    async def acquire(self) -> None:
        """Wait until one more request may go out on the key, then count it."""
        started = time.monotonic()
        policy = self.policy
        request = AcquireRequest(
            limit=policy.effective_limit,
            span_s=policy.span_seconds,
            priority=self._priority,
            waiter_id=f"{self._waiter_prefix}:{uuid.uuid4().hex[:8]}",
            pace_s=policy.pace_seconds,
            pace_slack_s=policy.pace_slack_seconds,
        )
        async with self._gate():
            while True:
                decision: AcquireDecision = await asyncio.to_thread(
                    self._store.acquire, self._key_id, request
                )
                if decision.granted:
                    break
                self.stats.refusals[decision.reason] += 1
                await asyncio.sleep(min(decision.wait_s, MAX_SLEEP_SECONDS) + _WAKE_MARGIN_SECONDS)
        _acquired_at.set(decision.now)
        self.stats.granted += 1
        self.stats.waited_s += time.monotonic() - started

    async def observe(self, headers: RateLimitHeaders) -> None:
        """Correct the shared view with what the server says is left in its window."""
        if headers.limit is not None and headers.limit > 0:
            self._note_server_limit(headers.limit)
        if headers.remaining is None or headers.reset_at is None:
            return
        acquired_at = _acquired_at.get()
        if acquired_at is None:
            acquired_at = time.time() - UNKNOWN_GRANT_AGE_SECONDS
        policy = self.policy
        await asyncio.to_thread(
            self._store.record_server_view,
            self._key_id,
            remaining=headers.remaining,
            reset_at=headers.reset_at,
            acquired_at=acquired_at,
            span_s=policy.span_seconds,
            # Answers whose Reset differ by less than this describe the same window.
            same_window_tolerance_s=min(1.0, policy.window_seconds / 10),
        )
        self.stats.server_views += 1

    async def pause_until(self, reset_at: float) -> None:
        """A 429 was served: no sender on the key (any process, any host) sends before
        ``reset_at`` (Unix time)."""
        if not math.isfinite(reset_at):
            return
        now = time.time()
        until = reset_at
        if until - now > self._max_pause_s:
            logger.warning(
                "a 429's reset is %.0f s away; pausing the key %s for %.0f s only",
                until - now,
                self._key_id,
                self._max_pause_s,
            )
            until = now + self._max_pause_s
        await asyncio.to_thread(self._store.pause, self._key_id, until)
        self.stats.pauses += 1
        logger.info(
            "HTTP 429 on key %s: every sender pauses for %.1f s",
            self._key_id,
            max(0.0, until - now),
        )

    # ---- internals -----------------------------------------------------------------------

    def _gate(self) -> asyncio.Lock:
        # One lock per event loop: an asyncio.Lock belongs to the loop that first uses it,
        # and the sync client runs its own loop in a thread.
        loop = asyncio.get_running_loop()
        with self._gates_lock:
            gate = self._gates.get(loop)
            if gate is None:
                gate = asyncio.Lock()
                self._gates[loop] = gate
            return gate

    def _note_server_limit(self, limit: int) -> None:
        # The latest answer wins (a plan can change); below the configured limit it caps it.
        if limit < self._policy.limit_per_window and limit != self._server_limit:
            logger.warning(
                "the server reports a limit of %d per window for key %s, below the configured "
                "%d: using %d (is the plan setting right?)",
                limit,
                self._key_id,
                self._policy.limit_per_window,
                limit,
            )
        self._server_limit = limit


def acquired_at() -> float | None:
    """When the request being handled in this task was granted (store clock), if known."""
    return _acquired_at.get()
