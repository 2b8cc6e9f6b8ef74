"""The Dagster resource that hands out shared rate limiters for the Hindsight API key.

Declared once in :mod:`.definitions`, from the environment. A sending asset calls
:meth:`HindsightRateLimiter.get_limiter` with the key's non-secret name (the Hindsight
resource's ``key_id``, :func:`.store.api_key_fingerprint` of the API key) and gives the
limiter to the client. Every run, every process and (with Redis or Postgres) every host
that uses the same store and the same API key shares one budget: the budget is named by
the key itself, so two settings can never split one key's budget in two.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from hindsight_pipeline.rate_limiting.concurrency import recommended_concurrency
from hindsight_pipeline.rate_limiting.limiter import SharedRateLimiter
from hindsight_pipeline.rate_limiting.plans import RateLimitPolicy, resolve_policy
from hindsight_pipeline.rate_limiting.priority import Priority
from hindsight_pipeline.rate_limiting.store import (
    redact_url,
    shared_store,
    store_kind,
    validate_key_id,
)

STORE_ENV_VAR = "HINDSIGHT_RATE_LIMIT_STORE"
SHARE_ENV_VAR = "HINDSIGHT_RATE_LIMIT_SHARE"
# <project>/data/rate_limiter: the project's data folder, next to the embedded warehouse.
DEFAULT_STORE_DIR = Path(__file__).resolve().parents[2] / "data" / "rate_limiter"


class HindsightRateLimiter(dg.ConfigurableResource):
    """Plan-aware rate limiting of the Hindsight API key, shared by every run on the key."""

    plan: str = Field(
        default="essentials",
        description="Hindsight plan: essentials (60/min), growth (300/min), enterprise (1,000/min).",
    )
    limit_per_window: int | None = Field(
        default=None,
        description="An explicit limit per window, instead of the plan's.",
    )
    window_seconds: float = Field(
        default=60.0,
        description="The window of limit_per_window, in seconds (plans are per minute).",
    )
    share: float | None = Field(
        default=None,
        description="Fraction (0-1] of the limit this pipeline may use; the rest is left to "
        "other tools on the same key. Default: $HINDSIGHT_RATE_LIMIT_SHARE, else 1.0.",
    )
    store_url: str | None = Field(
        default=None,
        description="Where the shared state lives: a directory (one host), redis://... or "
        "postgresql://... (several hosts). Default: $HINDSIGHT_RATE_LIMIT_STORE, else "
        "<project>/data/rate_limiter.",
    )
    max_in_flight: int | None = Field(
        default=None,
        description="Requests in flight at once; default: enough for the limit at "
        "expected_latency_seconds.",
    )
    expected_latency_seconds: float = Field(
        default=0.5,
        description="Typical time Hindsight takes to answer, to size max_in_flight.",
    )
    arrival_guard_seconds: float | None = Field(
        default=None,
        description="Margin for requests reaching the server a little after they are "
        "granted; default 2% of the window, between 0.1 s and 0.5 s.",
    )

    @property
    def resolved_share(self) -> float:
        """``share``, else $HINDSIGHT_RATE_LIMIT_SHARE, else 1.0.

        Read here, when a run uses the limiter, not when the definitions load: a bad value
        fails the runs that send, with the variable named, and never the code location.
        """
        if self.share is not None:
            return self.share
        text = os.environ.get(SHARE_ENV_VAR, "").strip()
        if not text:
            return 1.0
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 < value <= 1.0:  # NaN fails too
            raise ValueError(
                f"{SHARE_ENV_VAR} must be a number in (0, 1] (the fraction of the plan's "
                f"limit this pipeline may use, e.g. 0.8), got {text[:40]!r}"
            )
        return value

    @property
    def policy(self) -> RateLimitPolicy:
        """The limit, window, share and guard this resource enforces (ValueError if invalid)."""
        return resolve_policy(
            self.plan,
            limit_per_window=self.limit_per_window,
            window_seconds=self.window_seconds,
            share=self.resolved_share,
            arrival_guard_seconds=self.arrival_guard_seconds,
        )

    @property
    def effective_limit(self) -> int:
        """Requests per window this pipeline may send (the share of the limit)."""
        return self.policy.effective_limit

    @property
    def effective_limit_per_minute(self) -> float:
        """The same, per minute."""
        policy = self.policy
        return policy.effective_limit * 60.0 / policy.window_seconds

    @property
    def resolved_store_url(self) -> str:
        """The store in use: ``store_url``, else $HINDSIGHT_RATE_LIMIT_STORE, else the
        project's data folder."""
        return self.store_url or os.environ.get(STORE_ENV_VAR) or str(DEFAULT_STORE_DIR)

    @property
    def concurrency(self) -> int:
        """How many requests the send loop should keep in flight."""
        if self.max_in_flight is not None:
            return self.max_in_flight
        policy = self.policy
        return recommended_concurrency(
            policy.effective_limit, policy.window_seconds, self.expected_latency_seconds
        )

    def describe(self) -> str:
        """One line for the run log: the limit, the share, the store (password hidden)."""
        policy = self.policy
        source = (
            f"{self.limit_per_window}/{policy.window_seconds:g}s"
            if self.limit_per_window is not None
            else f"plan {self.plan.strip().lower()} ({policy.limit_per_window}/min)"
        )
        url = self.resolved_store_url
        return (
            f"rate limit: {source}, share {self.resolved_share:g} -> {policy.effective_limit} per "
            f"{policy.window_seconds:g}s, {self.concurrency} in flight, "
            f"{store_kind(url)} store {redact_url(url)}"
        )

    def get_limiter(
        self, *, key_id: str, priority: Priority | str = Priority.NORMAL
    ) -> SharedRateLimiter:
        """A limiter for the client's ``limiter=``, on the budget of the API key named
        ``key_id`` (``api_key_fingerprint(api_key)``: the Hindsight resource's ``key_id``)."""
        return SharedRateLimiter(
            shared_store(self.resolved_store_url),
            validate_key_id(key_id),
            self.policy,
            priority=priority,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Fail at the start of the run, with the setting's name, not at the first send.
        if self.max_in_flight is not None and self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        _ = self.policy
        store_kind(self.resolved_store_url)
