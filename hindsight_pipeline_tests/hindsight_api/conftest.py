"""Fixtures of the client's contract tests: a local Hindsight server over real loopback HTTP."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    AttemptRecord,
    RateLimitHeaders,
    RetryPolicy,
)
from hindsight_pipeline.local_server import LocalHindsightServer, ServerConfig

SEQUENCE_ID = "seq_winloss_default"
INTERVIEW_TYPE_ID = "itype_winloss_buyer"
# Fast retries: the rules are under test, not the delays.
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total_seconds=5.0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="package")
def hindsight_server() -> Iterator[LocalHindsightServer]:
    """One server for the package: a limit no test reaches, interviews never complete on their own."""
    with LocalHindsightServer(ServerConfig(limit=1_000_000, window_seconds=60.0)) as server:
        yield server


@pytest.fixture
def server(hindsight_server: LocalHindsightServer) -> Iterator[LocalHindsightServer]:
    """The shared server, emptied and without faults for each test."""
    hindsight_server.reset()
    yield hindsight_server
    hindsight_server.reset()


class RecordingLimiter:
    """A RateLimiter that only records how the client used the seam."""

    def __init__(self) -> None:
        self.acquired: list[float] = []
        self.observed: list[RateLimitHeaders] = []
        self.paused_until: list[float] = []

    async def acquire(self) -> None:
        self.acquired.append(time.time())

    async def observe(self, headers: RateLimitHeaders) -> None:
        self.observed.append(headers)

    async def pause_until(self, reset_at: float) -> None:
        self.paused_until.append(reset_at)


class AttemptLog(list[AttemptRecord]):
    """on_attempt callback that keeps every record."""

    def __call__(self, record: AttemptRecord) -> None:
        self.append(record)


def client_for(server: LocalHindsightServer, **kwargs: Any) -> AsyncHindsightClient:
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("timeout", 5.0)
    return AsyncHindsightClient(server.base_url, kwargs.pop("api_key", server.api_key), **kwargs)


def posts(server: LocalHindsightServer) -> list[dict[str, Any]]:
    """The POST /interviews requests the server received."""
    return server.api_requests("POST", "/api/v1/interviews")


def wait_for_window_start(window_seconds: float, *, min_left: float) -> None:
    """Sleep (setup, not an assertion) until at least ``min_left`` seconds remain in the
    server's current fixed window: the next window's start if need be."""
    now = time.time()
    end = math.floor(now / window_seconds) * window_seconds + window_seconds
    if end - now < min_left:
        time.sleep(end - now + 0.02)
