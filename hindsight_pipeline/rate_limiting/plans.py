"""Hindsight plans and the rate-limit policy derived from a plan (or an explicit limit)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Plan(StrEnum):
    """Hindsight's plans; each allows a number of requests per minute on one API key."""

    ESSENTIALS = "essentials"
    GROWTH = "growth"
    ENTERPRISE = "enterprise"


PLAN_LIMITS_PER_MINUTE: dict[Plan, int] = {
    Plan.ESSENTIALS: 60,
    Plan.GROWTH: 300,
    Plan.ENTERPRISE: 1000,
}
PLAN_WINDOW_SECONDS = 60.0

# Requests reach the server a little after they are granted, and not all equally late. The
# limiter counts in windows this much longer than the server's, so that a request granted
# at the very end of one of our windows cannot land in the server's next window and
# overshoot it. Half a second costs under 1 % of a one-minute window.
MAX_ARRIVAL_GUARD_SECONDS = 0.5
ARRIVAL_GUARD_FRACTION = 0.02


def parse_plan(plan: str | Plan) -> Plan:
    """``plan`` as a :class:`Plan` (case and surrounding spaces ignored), or ValueError."""
    text = str(plan).strip().lower()
    try:
        return Plan(text)
    except ValueError:
        known = ", ".join(p.value for p in Plan)
        raise ValueError(f"unknown Hindsight plan {plan!r}; expected one of: {known}") from None


def default_arrival_guard(window_seconds: float) -> float:
    """The guard for a window: 2 % of it, at most half a second."""
    return min(MAX_ARRIVAL_GUARD_SECONDS, ARRIVAL_GUARD_FRACTION * window_seconds)


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
