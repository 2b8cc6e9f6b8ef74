"""Enough requests in flight to reach the limit when the API is slow, and no more.

At 1,000 requests per minute (16.7/s) and 300 ms per request, one request at a time
reaches 3.3/s, a fifth of the limit: the send loop needs several in flight. The limiter
still decides when each may start; this only bounds how many wait for an answer at once.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY_CAP = 64
# Twice the average need: the limiter lets permits out in bursts (a window's worth at its
# start), and latency varies. Idle slots cost nothing.
DEFAULT_HEADROOM = 2.0


def recommended_concurrency(
    limit_per_window: int,
    window_seconds: float,
    expected_latency_s: float,
    cap: int = DEFAULT_CONCURRENCY_CAP,
    headroom: float = DEFAULT_HEADROOM,
) -> int:
    """How many requests to keep in flight to reach ``limit_per_window`` per
    ``window_seconds`` when each takes ``expected_latency_s``: rate x latency x headroom,
    rounded up, between 1 and ``cap``."""
    if limit_per_window < 1 or window_seconds <= 0:
        raise ValueError("limit_per_window and window_seconds must be positive")
    if expected_latency_s < 0 or cap < 1 or headroom < 1:
        raise ValueError("expected_latency_s >= 0, cap >= 1 and headroom >= 1 are required")
    needed = math.ceil(limit_per_window / window_seconds * expected_latency_s * headroom)
    return max(1, min(cap, needed))


async def run_bounded(
    items: Iterable[T],
    fn: Callable[[T], Awaitable[R]],
    max_in_flight: int,
) -> list[R]:
    """``[await fn(item) for item in items]`` with at most ``max_in_flight`` at once, in
    input order.

    ``items`` is read lazily, one item per free slot. If ``fn`` raises, no further item is
    started, the calls already in flight are awaited (a request in flight is never
    abandoned: its outcome would be unknown), then the first exception is raised.
    """
    if max_in_flight < 1:
        raise ValueError("max_in_flight must be at least 1")
    source = iter(enumerate(items))
    results: dict[int, R] = {}
    failures: list[BaseException] = []

    async def worker() -> None:
        while not failures:
            try:
                index, item = next(source)
            except StopIteration:
                return
            try:
                results[index] = await fn(item)
            except Exception as exc:  # handed to the caller below, after the others finish
                failures.append(exc)
                return

    await asyncio.gather(*(worker() for _ in range(max_in_flight)))
    if failures:
        raise failures[0]
    return [results[i] for i in range(len(results))]
