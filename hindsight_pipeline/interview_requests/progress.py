"""Progress of a long send in the run logs: sent so far, rate, ETA (throttled)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

LOG_EVERY_S = 10.0


def progress_line(done: int, total: int, elapsed_s: float) -> str:
    rate = done / elapsed_s * 60 if elapsed_s > 0 else 0.0
    left = max(total - done, 0)
    eta = f"{left / rate:.1f} min" if rate > 0 else "unknown"
    return f"sent {done:,}/{total:,} ({rate:,.0f}/min), ETA {eta}"


def progress_logger(log: Any, *, total: int, limit: float | None = None) -> Callable[[int, int], None]:
    started = time.monotonic()
    last = [started]

    def report(done: int, _claimed: int) -> None:
        now = time.monotonic()
        if now - last[0] >= LOG_EVERY_S or done >= total:
            last[0] = now
            log.info(progress_line(done, total, now - started))

    return report
