"""Counting helpers for the rate-limiting tests."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable


def max_in_any_interval(times: Iterable[float], length: float) -> int:
    """The most events in any half-open interval [t, t + length)."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - length:
            start += 1
        best = max(best, end - start + 1)
    return best


def per_window(times: Iterable[float], window_s: float) -> Counter[int]:
    """Events per fixed window aligned to multiples of ``window_s`` (the server's windows)."""
    return Counter(math.floor(t / window_s) for t in times)
