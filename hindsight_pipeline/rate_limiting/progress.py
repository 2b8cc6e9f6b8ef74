"""Progress of a long send, for a person reading the run's logs: sent / total, rate, ETA.

:func:`format_progress` is pure; :class:`SendProgress` keeps the counts and writes a line
through any logger with ``.info(str)`` (Dagster's ``context.log``, a ``logging.Logger``),
at most every ``every_s`` seconds or every ``every_fraction`` of the total, and at the end.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol


class InfoLogger(Protocol):
    def info(self, msg: str, /) -> Any: ...


def format_duration(seconds: float) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``; ``?`` when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_progress(
    sent: int,
    total: int,
    elapsed_s: float,
    rate_per_minute: float | None,
    *,
    label: str = "requests",
) -> str:
    """One progress line, e.g. ``sent 120/1000 requests (12%) in 2m 00s, 59.8/min, ETA 14m 43s``."""
    percent = 100.0 if total <= 0 else 100.0 * sent / total
    parts = [f"sent {sent}/{total} {label} ({percent:.0f}%) in {format_duration(elapsed_s)}"]
    if rate_per_minute is not None and rate_per_minute > 0:
        parts.append(f"{rate_per_minute:.1f}/min")
        remaining = max(0, total - sent)
        if remaining:
            parts.append(f"ETA {format_duration(remaining / rate_per_minute * 60.0)}")
    elif sent < total:
        parts.append("ETA ?")
    return ", ".join(parts)


class SendProgress:
    """Counts a send and logs its progress, throttled.

    The rate is measured over the last ``rate_window_s`` seconds (the current pace, not the
    average since the start, which a pause would distort).
    """

    def __init__(
        self,
        total: int,
        log: InfoLogger,
        *,
        label: str = "requests",
        every_s: float = 10.0,
        every_fraction: float = 0.10,
        rate_window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if total < 0:
            raise ValueError("total must not be negative")
        self.total = total
        self.sent = 0
        self._log = log
        self._label = label
        self._every_s = every_s
        self._every_count = (
            max(1, math.ceil(total * every_fraction)) if every_fraction > 0 else None
        )
        self._rate_window_s = rate_window_s
        self._clock = clock
        self._started = clock()
        self._samples: deque[tuple[float, int]] = deque([(self._started, 0)])
        self._last_logged_at = self._started
        self._last_logged_count = 0
        self._finished = False

    def rate_per_minute(self) -> float | None:
        """Requests per minute over the last ``rate_window_s`` seconds (None: too early)."""
        now = self._clock()
        oldest_time, oldest_count = self._samples[0]
        # The oldest sample is the last one at or before the window's start: nothing was
        # sent between it and the start, so the window counts from its count.
        span = min(now - oldest_time, self._rate_window_s)
        if span <= 0 or self.sent == oldest_count:
            return None if self.sent == 0 else 0.0
        return (self.sent - oldest_count) / span * 60.0

    def line(self) -> str:
        return format_progress(
            self.sent,
            self.total,
            self._clock() - self._started,
            self.rate_per_minute(),
            label=self._label,
        )

    def advance(self, count: int = 1) -> None:
        """``count`` more were sent (whatever their outcome); logs if a line is due."""
        self.sent += count
        now = self._clock()
        self._samples.append((now, self.sent))
        while len(self._samples) > 2 and self._samples[1][0] <= now - self._rate_window_s:
            self._samples.popleft()
        due_by_time = now - self._last_logged_at >= self._every_s
        due_by_count = (
            self._every_count is not None
            and self.sent - self._last_logged_count >= self._every_count
        )
        if self.sent >= self.total:
            self.finish()
        elif due_by_time or due_by_count:
            self._emit(now)

    def finish(self) -> None:
        """Log the final line (once)."""
        if not self._finished:
            self._finished = True
            self._emit(self._clock())

    def _emit(self, now: float) -> None:
        self._last_logged_at = now
        self._last_logged_count = self.sent
        self._log.info(self.line())
