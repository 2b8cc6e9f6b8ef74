"""Progress lines a person can follow, and bounded concurrency for the send loop."""

from __future__ import annotations

import asyncio

import pytest

from hindsight_pipeline.rate_limiting import (
    SendProgress,
    format_progress,
    recommended_concurrency,
    run_bounded,
)
from hindsight_pipeline.rate_limiting.progress import format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str) -> None:
        self.lines.append(msg)


def test_format_progress_says_sent_rate_and_eta() -> None:
    assert format_progress(120, 1000, 120.0, 60.0) == (
        "sent 120/1000 requests (12%) in 2m 00s, 60.0/min, ETA 14m 40s"
    )
    assert format_progress(0, 10, 0.0, None, label="interviews") == (
        "sent 0/10 interviews (0%) in 0s, ETA ?"
    )
    assert format_progress(10, 10, 3725.0, 12.0) == "sent 10/10 requests (100%) in 1h 02m, 12.0/min"


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 42, 185, 3725, -1, float("inf"))] == [
        "0s", "42s", "3m 05s", "1h 02m", "?", "?",
    ]  # fmt: skip


def test_send_progress_logs_every_ten_seconds_or_ten_percent_and_at_the_end() -> None:
    clock, log = Clock(), Lines()
    progress = SendProgress(100, log, clock=clock, every_s=10.0, every_fraction=0.25)
    for _ in range(24):  # 24 sends in 4.8 s: neither due
        clock.now += 0.2
        progress.advance()
    assert log.lines == []
    clock.now += 0.2
    progress.advance()  # the 25th: a quarter
    assert log.lines == ["sent 25/100 requests (25%) in 5s, 300.0/min, ETA 15s"]
    clock.now += 10.0
    progress.advance()  # slow: 10 s since the last line
    assert len(log.lines) == 2 and log.lines[1].startswith("sent 26/100")
    for _ in range(74):
        progress.advance()
    assert log.lines[-1].startswith("sent 100/100 requests (100%)")
    progress.finish()  # once only
    assert sum(line.startswith("sent 100/100") for line in log.lines) == 1


def test_send_progress_rate_is_the_recent_pace() -> None:
    clock, log = Clock(), Lines()
    progress = SendProgress(1000, log, clock=clock, rate_window_s=60.0)
    for _ in range(60):  # 60/min for a minute
        clock.now += 1.0
        progress.advance()
    clock.now += 120.0  # a two-minute pause (a 429 pause, say) ...
    for _ in range(30):  # ... then 30/min, i.e. one every 2 s, for a minute
        clock.now += 2.0
        progress.advance()
    assert progress.rate_per_minute() == pytest.approx(30.0, rel=0.05)


@pytest.mark.parametrize(
    ("limit", "window", "latency", "expected"),
    [
        (1000, 60, 0.3, 10),
        (60, 60, 0.3, 1),
        (60, 3, 0.3, 12),
        (1000, 60, 30.0, 64),
        (60, 60, 0.0, 1),
    ],
)
def test_recommended_concurrency(limit: int, window: float, latency: float, expected: int) -> None:
    assert recommended_concurrency(limit, window, latency) == expected


def test_run_bounded_keeps_order_and_bounds_in_flight() -> None:
    in_flight = 0
    peak = 0

    async def work(item: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001 * (item % 3))
        in_flight -= 1
        return item * item

    results = asyncio.run(run_bounded(iter(range(50)), work, max_in_flight=7))
    assert results == [i * i for i in range(50)]
    assert peak == 7


def test_run_bounded_finishes_what_is_in_flight_then_raises() -> None:
    started: list[int] = []
    finished: list[int] = []

    async def work(item: int) -> int:
        started.append(item)
        if item == 3:
            raise RuntimeError("boom")
        await asyncio.sleep(0.01)
        finished.append(item)
        return item

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(run_bounded(range(100), work, max_in_flight=4))
    # Items in flight when 3 failed still finished; nothing new started after it.
    assert set(started) - {3} == set(finished)
    assert max(started) < 8
