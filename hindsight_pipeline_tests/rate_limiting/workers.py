"""Code the rate-limiting tests run in other processes (spawned: importable, no fixtures)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

from hindsight_pipeline.hindsight_api import AsyncHindsightClient, CreateInterviewRequest
from hindsight_pipeline.hindsight_api.errors import HindsightError
from hindsight_pipeline.rate_limiting import (
    Priority,
    RateLimitPolicy,
    SharedRateLimiter,
    open_store,
    run_bounded,
)
from hindsight_pipeline.rate_limiting.key_state import AcquireRequest
from hindsight_pipeline.rate_limiting.limiter import acquired_at

SEQUENCE_ID = "seq_winloss_default"


def warm_up(seconds: float) -> int:
    """Keep this process busy a moment (so a pool starts all its processes); its pid."""
    import os

    time.sleep(seconds)
    return os.getpid()


def hammer_store(
    store_url: str, key_id: str, limit: int, span_s: float, until: float, threads: int, tag: str
) -> list[float]:
    """Ask the store for permits as fast as it answers from ``threads`` threads until
    ``until``; return the grant times (store clock)."""
    store = open_store(store_url)
    grants: list[float] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        request = AcquireRequest(limit, span_s, Priority.NORMAL, f"{tag}-{n}")
        while time.time() < until:
            decision = store.acquire(key_id, request)
            if decision.granted:
                with lock:
                    grants.append(decision.now)
            else:
                # Poll much faster than the wait: contention is the point.
                time.sleep(min(decision.wait_s, 0.005))

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    store.close()
    return grants


def send_backlog(
    base_url: str,
    api_key: str,
    store_url: str,
    key_id: str,
    policy: RateLimitPolicy,
    *,
    tag: str,
    start_at: float,
    stop_at: float,
    max_in_flight: int,
    priority: str = "normal",
) -> dict[str, Any]:
    """Send POST /interviews through the real client and a shared limiter, as fast as the
    limiter allows, from ``start_at`` until ``stop_at``; return counts by outcome."""

    async def main() -> dict[str, Any]:
        limiter = SharedRateLimiter(open_store(store_url), key_id, policy, priority=priority)
        outcomes: dict[str, int] = {}
        grant_times: dict[str, float] = {}

        def backlog() -> Any:
            for i in itertools.count():
                if time.time() >= stop_at:
                    return
                yield f"{tag}-{i}@example.com"

        async with AsyncHindsightClient(base_url, api_key, limiter=limiter) as client:

            async def send(email: str) -> None:
                try:
                    await client.create_interview(
                        CreateInterviewRequest(contact_email=email, sequence_id=SEQUENCE_ID)
                    )
                    outcome = "ok"
                except HindsightError as exc:
                    outcome = exc.code
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                granted_at = acquired_at()  # set by the limiter in this task, for this request
                if granted_at is not None:
                    grant_times[email] = granted_at

            await asyncio.sleep(max(0.0, start_at - time.time()))
            await run_bounded(backlog(), send, max_in_flight)
        return {"outcomes": outcomes, "granted": limiter.stats.granted, "grant_times": grant_times}

    return asyncio.run(main())


def low_priority_grants(
    store_url: str, key_id: str, policy: RateLimitPolicy, count: int
) -> list[float]:
    """Take ``count`` permits at LOW priority; their grant times (store clock)."""

    async def main() -> list[float]:
        limiter = SharedRateLimiter(open_store(store_url), key_id, policy, priority=Priority.LOW)
        return await take_grants(limiter, count)

    return asyncio.run(main())


async def take_grants(limiter: SharedRateLimiter, count: int) -> list[float]:
    """Take ``count`` permits from ``limiter`` one after another; their grant times (store
    clock)."""
    times = []
    for _ in range(count):
        await limiter.acquire()
        grant = acquired_at()
        assert grant is not None
        times.append(grant)
    return times
