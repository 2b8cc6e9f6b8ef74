"""Plan-aware rate limiting of the Hindsight API key, shared by every run on the key.

Start here: :class:`HindsightRateLimiter` (the Dagster resource), which hands out
:class:`SharedRateLimiter` objects for the client's ``limiter=`` seam;
:func:`recommended_concurrency` / :func:`run_bounded` for the send loop; and
:class:`SendProgress` for the run log. docs/rate-limiting.md explains the design and its
measurements. Everything but the resource is free of Dagster (and the resource is only
imported when asked for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hindsight_pipeline.rate_limiting.concurrency import recommended_concurrency, run_bounded
from hindsight_pipeline.rate_limiting.limiter import LimiterStats, SharedRateLimiter
from hindsight_pipeline.rate_limiting.plans import (
    PLAN_LIMITS_PER_MINUTE,
    Plan,
    RateLimitPolicy,
    parse_plan,
    resolve_policy,
)
from hindsight_pipeline.rate_limiting.priority import Priority
from hindsight_pipeline.rate_limiting.progress import SendProgress, format_progress
from hindsight_pipeline.rate_limiting.store import (
    RateLimitStore,
    RateLimitStoreError,
    api_key_fingerprint,
    open_store,
    shared_store,
)

if TYPE_CHECKING:
    from hindsight_pipeline.rate_limiting.resource import HindsightRateLimiter


def __getattr__(name: str) -> Any:
    # The resource pulls in Dagster; processes that only send (and the benchmark's workers)
    # do not pay for that import.
    if name == "HindsightRateLimiter":
        from hindsight_pipeline.rate_limiting.resource import HindsightRateLimiter

        return HindsightRateLimiter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PLAN_LIMITS_PER_MINUTE",
    "HindsightRateLimiter",
    "LimiterStats",
    "Plan",
    "Priority",
    "RateLimitPolicy",
    "RateLimitStore",
    "RateLimitStoreError",
    "SendProgress",
    "SharedRateLimiter",
    "api_key_fingerprint",
    "format_progress",
    "open_store",
    "parse_plan",
    "recommended_concurrency",
    "resolve_policy",
    "run_bounded",
    "shared_store",
]
