"""The rate-limiter seam of the Hindsight client.

The client calls a limiter on every attempt, retries included: ``acquire`` before a request
goes out, ``observe`` with each response's rate-limit headers, and ``pause_until`` on a 429
so that every sender sharing the API key waits for the reset, not only the request that
met it. The real, shared implementation lives in ``hindsight_pipeline.rate_limiting``; this
module holds only the contract and a trivial stand-in so the client works on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class RateLimitHeaders:
    """X-RateLimit-Limit / Remaining / Reset of one response (None where absent or garbled)."""

    limit: int | None
    remaining: int | None
    reset_at: float | None  # Unix time, seconds


@runtime_checkable
class RateLimiter(Protocol):
    async def acquire(self) -> None:
        """Wait until one more request may go out on this API key, then count it."""
        ...

    async def observe(self, headers: RateLimitHeaders) -> None:
        """Correct the local view with what the server says is left in its window."""
        ...

    async def pause_until(self, reset_at: float) -> None:
        """A 429 was served: no sender on this key may send before ``reset_at`` (Unix time)."""
        ...


class UnlimitedRateLimiter:
    """No limit at all: the client's default when no limiter is given."""

    async def acquire(self) -> None:
        return None

    async def observe(self, headers: RateLimitHeaders) -> None:
        return None

    async def pause_until(self, reset_at: float) -> None:
        return None
