"""Pure parsing of the rate-limit headers. Garbled values become None, never an exception."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from hindsight_pipeline.hindsight_api.limiter import RateLimitHeaders

# X-RateLimit-Reset is documented as Unix time. A value this small cannot be a Unix time
# of this century: some gateways send "seconds until reset" instead, so read it as that.
_SMALLEST_UNIX_TIME = 1_000_000_000.0


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        # Plain dicts are case-sensitive; httpx.Headers is not.
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def _non_negative_int(raw: str | None) -> int | None:
    if raw is None:
        return None
    text = raw.strip()
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0 or number != int(number):
        return None
    return int(number)


def _finite_float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        number = float(raw.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_rate_limit_headers(
    headers: Mapping[str, str], *, now: float | None = None
) -> RateLimitHeaders:
    """X-RateLimit-Limit / -Remaining / -Reset of one response.

    Each is None when absent or garbled (not a number, negative, fractional counts, several
    comma-joined values). A Reset below 1e9 is taken as seconds from ``now`` (default: the
    current time) rather than as a Unix time.
    """
    limit = _non_negative_int(_header(headers, "X-RateLimit-Limit"))
    remaining = _non_negative_int(_header(headers, "X-RateLimit-Remaining"))
    reset = _finite_float(_header(headers, "X-RateLimit-Reset"))
    if reset is not None:
        if reset < 0:
            reset = None
        elif reset < _SMALLEST_UNIX_TIME:
            reset = (time.time() if now is None else now) + reset
    return RateLimitHeaders(limit=limit, remaining=remaining, reset_at=reset)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Retry-After in seconds from now (delta-seconds or an HTTP date), or None."""
    raw = _header(headers, "Retry-After")
    if raw is None:
        return None
    seconds = _finite_float(raw)
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
