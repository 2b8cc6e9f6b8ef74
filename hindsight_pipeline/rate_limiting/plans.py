"""Hindsight plans and the rate-limit policy derived from a plan (or an explicit limit)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hindsight_pipeline.hindsight_api.plans import (
    PLAN_LIMITS_PER_MINUTE,
    PLAN_WINDOW_SECONDS,
    Plan,
)

__all__ = [
    "PLAN_LIMITS_PER_MINUTE",
    "PLAN_WINDOW_SECONDS",
    "Plan",
    "RateLimitPolicy",
    "default_arrival_guard",
    "parse_plan",
    "resolve_policy",
]

# Requests reach the server a little after they are granted, and not all equally late. The
# limiter counts in windows this much longer than the server's, so that a request granted
# at the very end of one of our windows cannot land in the server's next window and
# overshoot it: the guard must exceed the spread of grant-to-arrival delays. That spread
# is a few milliseconds on an idle host (p99 6-15 ms) and was measured up to 41 ms with the
# server and other test runs sharing two cores; 100 ms is the floor. Above it 2 % of the
# window (a minute: 0.5 s, under 1 % of it), and never more than a tenth of a very short
# window. On the benchmark's 3 s window the guard costs 3 %: 3 / 3.1 = 0.968 of the limit.
MIN_ARRIVAL_GUARD_SECONDS = 0.1
MAX_ARRIVAL_GUARD_SECONDS = 0.5
ARRIVAL_GUARD_FRACTION = 0.02
MAX_ARRIVAL_GUARD_FRACTION = 0.1

# Permits are paced at span / limit (see key_state); one may be granted up to this long
# ahead of the pace, or one interval if that is longer. A sender stalled for less than
# this (a busy host, a slow store step) catches up instead of losing throughput; stalls of
# 100-250 ms were measured on two busy cores. The price: after an idle spell, up to
# slack / interval + 1 permits go out at once (at 1,000/min, five).
MIN_PACE_SLACK_SECONDS = 0.25


def parse_plan(plan: str | Plan) -> Plan:
    """``plan`` as a :class:`Plan` (case and surrounding spaces ignored), or ValueError."""
    text = str(plan).strip().lower()
    try:
        return Plan(text)
    except ValueError:
        known = ", ".join(p.value for p in Plan)
        raise ValueError(f"unknown Hindsight plan {plan!r}; expected one of: {known}") from None


def default_arrival_guard(window_seconds: float) -> float:
    """The guard for a window: 2 % of it, between 0.1 s and 0.5 s, and at most a tenth of
    the window (so a window under a second stays usable)."""
    guard = max(MIN_ARRIVAL_GUARD_SECONDS, ARRIVAL_GUARD_FRACTION * window_seconds)
    return min(MAX_ARRIVAL_GUARD_SECONDS, guard, MAX_ARRIVAL_GUARD_FRACTION * window_seconds)


@dataclass(frozen=True)
class RateLimitPolicy:
    """What the limiter enforces on one API key.

    ``limit_per_window`` requests per ``window_seconds`` is the plan's (or the explicit)
    limit; ``share`` is the fraction of it this pipeline may use, so that other tools on
    the same key keep headroom. ``arrival_guard_seconds`` widens our counting window (see
    :data:`MAX_ARRIVAL_GUARD_SECONDS`).
    """

    limit_per_window: int
    window_seconds: float
    share: float = 1.0
    arrival_guard_seconds: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.limit_per_window, bool) or self.limit_per_window < 1:
            raise ValueError("limit_per_window must be a positive integer")
        if not (math.isfinite(self.window_seconds) and self.window_seconds > 0):
            raise ValueError("window_seconds must be a positive number")
        if not (0.0 < self.share <= 1.0):
            raise ValueError("share must be in (0, 1]")
        guard = self.arrival_guard_seconds
        if guard is not None and not (0.0 <= guard < self.window_seconds):
            raise ValueError("arrival_guard_seconds must be in [0, window_seconds)")

    @property
    def effective_limit(self) -> int:
        """Requests per window this pipeline may send: the share of the limit, at least 1."""
        # The epsilon keeps 0.3 * 1000 from becoming 299 through float rounding.
        return max(1, math.floor(self.limit_per_window * self.share + 1e-9))

    @property
    def guard_seconds(self) -> float:
        if self.arrival_guard_seconds is not None:
            return self.arrival_guard_seconds
        return default_arrival_guard(self.window_seconds)

    @property
    def span_seconds(self) -> float:
        """Length of the sliding window the limiter counts grants in: window + guard."""
        return self.window_seconds + self.guard_seconds

    @property
    def pace_seconds(self) -> float:
        """The steady interval between permits: ``span / effective_limit``."""
        return self.span_seconds / self.effective_limit

    @property
    def pace_slack_seconds(self) -> float:
        """How far ahead of the pace a permit may go: one interval, at least 0.25 s."""
        return max(self.pace_seconds, MIN_PACE_SLACK_SECONDS)

    @property
    def sustained_per_minute(self) -> float:
        """The most this policy lets through per minute, once the guard is paid."""
        return self.effective_limit * 60.0 / self.span_seconds

    def with_server_limit(self, server_limit: int) -> RateLimitPolicy:
        """This policy capped by the limit the server reports (X-RateLimit-Limit)."""
        if server_limit >= self.limit_per_window or server_limit < 1:
            return self
        return RateLimitPolicy(
            server_limit, self.window_seconds, self.share, self.arrival_guard_seconds
        )


def resolve_policy(
    plan: str | Plan = Plan.ESSENTIALS,
    *,
    limit_per_window: int | None = None,
    window_seconds: float = PLAN_WINDOW_SECONDS,
    share: float = 1.0,
    arrival_guard_seconds: float | None = None,
) -> RateLimitPolicy:
    """The policy for a plan, or for an explicit ``limit_per_window`` per ``window_seconds``.

    Plans are per minute: a ``window_seconds`` other than 60 needs an explicit limit (a
    plan's limit spread over another window would not be the plan's limit).
    """
    if limit_per_window is None:
        if not math.isclose(window_seconds, PLAN_WINDOW_SECONDS):
            raise ValueError(
                "window_seconds applies to an explicit limit_per_window; "
                "the plans' limits are per minute"
            )
        limit_per_window = PLAN_LIMITS_PER_MINUTE[parse_plan(plan)]
    return RateLimitPolicy(
        limit_per_window=limit_per_window,
        window_seconds=float(window_seconds),
        share=share,
        arrival_guard_seconds=arrival_guard_seconds,
    )
