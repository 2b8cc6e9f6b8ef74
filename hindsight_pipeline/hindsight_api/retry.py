"""Retry policy and the per-attempt record reported to the caller."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Literal

AttemptOutcome = Literal["ok", "rate_limited", "retryable", "permanent", "outcome_unknown", "fatal"]


@dataclass(frozen=True)
class AttemptRecord:
    """One HTTP attempt, as reported to ``on_attempt``.

    ``outcome`` is ``"ok"`` or the kind of failure (``"rate_limited"``, ``"retryable"``,
    ``"permanent"``, ``"outcome_unknown"``, ``"fatal"``); ``will_retry`` says whether the
    client sends the request again. ``path`` has no query string. Holds no secret and no
    request body.
    """

    method: str
    path: str
    attempt: int
    http_status: int | None
    error_code: str | None
    elapsed_s: float
    outcome: AttemptOutcome
    will_retry: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries what is safe to retry.

    - ``internal_error``, 503 and connection failures before sending (and, for GET/PATCH
      only, "outcome unknown" failures) retry with exponential backoff and full jitter:
      at most ``max_attempts`` attempts in all (429 answers not counted), and no retry
      starts once ``max_total_seconds`` of the call (rate-limit waits excluded) would pass.
    - 429 waits until X-RateLimit-Reset (or Retry-After; else the backoff delay) plus
      ``rate_limit_margin``, at most ``max_rate_limit_retries`` times and
      ``max_rate_limit_wait`` seconds in total per call; beyond that RateLimitedError.
    - bad_request, unauthorized and "outcome unknown" on POST are never retried.
    - A rate limiter that fails to grant a permit (its store is down: nothing was sent) is
      retried like a connection failure, in the same count and time budget, then raised
      as RateLimiterUnavailableError (retryable: a later run sends the request).
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_seconds: float = 120.0
    jitter: bool = True
    max_rate_limit_wait: float = 600.0
    max_rate_limit_retries: int = 20
    rate_limit_margin: float = 0.05

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if (
            min(self.base_delay, self.max_delay, self.max_total_seconds, self.max_rate_limit_wait)
            < 0
        ):
            raise ValueError("delays and budgets must not be negative")
        if self.max_rate_limit_retries < 0:
            raise ValueError("max_rate_limit_retries must not be negative")

    @classmethod
    def no_retries(cls) -> RetryPolicy:
        """One attempt per call, a 429 included (raised as RateLimitedError at once)."""
        return cls(max_attempts=1, max_rate_limit_retries=0, max_rate_limit_wait=0.0)

    def backoff_delay(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``retry_number`` (1 for the first retry).

        Exponential (base_delay * 2**(n-1), capped at max_delay); with jitter, uniformly
        random in [0, that] ("full jitter") so that many senders do not retry in step.
        """
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, retry_number - 1)))
        if not self.jitter:
            return ceiling
        return (rng or random).uniform(0.0, ceiling)


@dataclass
class RetryBudget:
    """What one call has spent of its :class:`RetryPolicy`; answers "retry, and after how long?"."""

    policy: RetryPolicy
    rng: random.Random
    started: float = field(default_factory=time.monotonic)
    failures: int = 0  # attempts that count against max_attempts (429s do not)
    rate_limited: int = 0
    rate_waited: float = 0.0

    def delay_after_rate_limit(self, resume_at: float | None, now: float) -> float | None:
        """Seconds to wait after a 429 (until ``resume_at``, Unix time, plus the margin; the
        backoff delay when the server gave no time), or None when the 429 budget is spent."""
        policy = self.policy
        if resume_at is not None:
            wait = max(0.0, resume_at - now) + policy.rate_limit_margin
        else:
            wait = policy.backoff_delay(self.rate_limited + 1, self.rng)
        if (
            self.rate_limited >= policy.max_rate_limit_retries
            or self.rate_waited + wait > policy.max_rate_limit_wait
        ):
            return None
        self.rate_limited += 1
        self.rate_waited += wait
        return wait

    def delay_after_failure(self, retryable: bool) -> float | None:
        """Seconds of backoff before the next attempt after any other failure, or None when
        it must not be retried or the count / time budget is spent."""
        self.failures += 1
        if not retryable or self.failures >= self.policy.max_attempts:
            return None
        delay = self.policy.backoff_delay(self.failures, self.rng)
        spent = time.monotonic() - self.started - self.rate_waited
        return delay if spent + delay <= self.policy.max_total_seconds else None
