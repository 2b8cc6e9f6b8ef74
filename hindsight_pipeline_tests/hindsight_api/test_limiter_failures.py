"""A rate limiter that fails (its shared store is down) never costs a created interview and
never sends a request unlimited. Over real loopback HTTP, counted on the server.

A store outage after a permit was granted cannot be caused cheaply, so ``observe`` and
``pause_until`` failures use a limiter that raises; the ``acquire`` failure also runs
through the real :class:`SharedRateLimiter` with a file store that cannot be written.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    CreateInterviewRequest,
    ErrorKind,
    RateLimiterUnavailableError,
    RateLimitHeaders,
    error_kind,
)
from hindsight_pipeline.interview_requests.outcomes import status_for_error
from hindsight_pipeline.interview_requests.schema import Status
from hindsight_pipeline.local_server import LocalHindsightServer, ServerConfig
from hindsight_pipeline.rate_limiting import RateLimitStoreError, SharedRateLimiter, open_store
from hindsight_pipeline.rate_limiting.plans import resolve_policy
from hindsight_pipeline_tests.hindsight_api.conftest import (
    FAST_RETRY,
    SEQUENCE_ID,
    AttemptLog,
    RecordingLimiter,
    client_for,
    posts,
)

pytestmark = pytest.mark.anyio

STORE_PASSWORD = "redis-pa55word"


def request(email: str = "a@b.co") -> CreateInterviewRequest:
    return CreateInterviewRequest(contact_email=email, sequence_id=SEQUENCE_ID)


def store_down() -> RateLimitStoreError:
    # What the Redis store raises: its message shows the URL with the password hidden.
    return RateLimitStoreError(
        "the rate-limit store redis://:***@cache.internal:6379/0 failed: ConnectionError: "
        "Error 111 connecting to cache.internal:6379. Connection refused."
    )


class BrokenLimiter(RecordingLimiter):
    """Records like RecordingLimiter; the steps named in ``failing`` raise a store error
    (``acquire`` only for its first ``acquire_failures`` calls, then it works)."""

    def __init__(self, *failing: str, acquire_failures: int = 1_000) -> None:
        super().__init__()
        self.failing = set(failing)
        self.acquire_failures = acquire_failures
        self.acquire_calls = 0

    async def acquire(self) -> None:
        self.acquire_calls += 1
        if "acquire" in self.failing and self.acquire_calls <= self.acquire_failures:
            raise store_down()
        await super().acquire()

    async def observe(self, headers: RateLimitHeaders) -> None:
        if "observe" in self.failing:
            raise store_down()
        await super().observe(headers)

    async def pause_until(self, reset_at: float) -> None:
        if "pause_until" in self.failing:
            raise store_down()
        await super().pause_until(reset_at)


@contextlib.asynccontextmanager
async def logged_client(
    server: LocalHindsightServer, caplog: pytest.LogCaptureFixture, limiter: RecordingLimiter
) -> AsyncIterator[tuple[AsyncHindsightClient, AttemptLog]]:
    """A client through ``limiter`` with its attempts logged and its warnings captured."""
    attempts = AttemptLog()
    with caplog.at_level(logging.WARNING, logger="hindsight_pipeline.hindsight_api"):
        async with client_for(server, limiter=limiter, on_attempt=attempts) as client:
            yield client, attempts


async def test_a_201_survives_a_limiter_that_fails_to_observe_it(
    server: LocalHindsightServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with logged_client(server, caplog, BrokenLimiter("observe")) as (client, attempts):
        response = await client.create_interview(request())

    (received,) = posts(server)  # exactly one request, never resent
    assert received["status"] == 201
    assert response.interview_request_id == received["interview_request_id"]
    assert (response.attempts, [a.outcome for a in attempts]) == (1, ["ok"])
    (stored,) = server.interviews()
    assert stored["interview_request_id"] == response.interview_request_id
    (warning,) = [r for r in caplog.records if "observe failed" in r.getMessage()]
    assert warning.levelno == logging.WARNING and "the response is kept" in warning.getMessage()
    assert server.api_key not in caplog.text and STORE_PASSWORD not in caplog.text


@pytest.fixture(scope="module")
def one_second_windows() -> Iterator[LocalHindsightServer]:
    """A server whose 429s reset within a second."""
    with LocalHindsightServer(ServerConfig(limit=1000, window_seconds=1.0)) as server:
        yield server


async def test_a_429_still_waits_and_retries_when_the_pause_cannot_be_shared(
    one_second_windows: LocalHindsightServer,
) -> None:
    server = one_second_windows
    server.set_faults(by_email={"a@b.co": "429_once"})
    limiter = BrokenLimiter("pause_until")
    async with client_for(server, limiter=limiter) as client:
        response = await client.create_interview(request())
    first, second = posts(server)
    assert (first["status"], second["status"]) == (429, 201)
    assert second["time"] >= limiter.observed[0].reset_at  # it still waited for the reset
    assert response.attempts == 2 and len(server.interviews()) == 1


async def test_a_limiter_that_cannot_grant_raises_a_retryable_error_and_sends_nothing(
    server: LocalHindsightServer, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = BrokenLimiter("acquire")
    async with logged_client(server, caplog, limiter) as (client, attempts):
        with pytest.raises(RateLimiterUnavailableError) as info:
            await client.create_interview(request())

    error = info.value
    assert posts(server) == [] and server.interviews() == []
    # Retried within the budget, then raised; no HTTP attempt was made or reported.
    assert limiter.acquire_calls == FAST_RETRY.max_attempts
    assert attempts == [] and error.attempts == 0
    assert error.code == "rate_limiter_unavailable" and error.http_status is None
    assert error.kind is ErrorKind.RETRYABLE and error_kind(error) is ErrorKind.RETRYABLE
    assert error.safe_to_retry and not error.outcome_unknown
    assert status_for_error(error) is Status.PENDING_RETRY  # the ledger's reading of it
    assert "nothing was sent" in error.message and "HINDSIGHT_RATE_LIMIT_STORE" in error.message
    assert "RateLimitStoreError" in error.message and "cache.internal" in error.message
    assert error.__cause__ is None and error.__context__ is None
    assert server.api_key not in caplog.text + str(error) + repr(error)
    assert STORE_PASSWORD not in caplog.text + str(error)


async def test_a_limiter_that_recovers_within_the_budget_sends_once(
    server: LocalHindsightServer,
) -> None:
    limiter = BrokenLimiter("acquire", acquire_failures=1)
    async with client_for(server, limiter=limiter) as client:
        response = await client.create_interview(request())
    (received,) = posts(server)
    assert received["status"] == 201 and response.attempts == 1
    assert limiter.acquire_calls == 2


async def test_the_shared_limiter_with_an_unusable_store_sends_nothing(
    server: LocalHindsightServer, tmp_path: Path
) -> None:
    # A real store failure: the store's directory is a file, so no state can be written.
    not_a_directory = tmp_path / "store"
    not_a_directory.write_text("")
    policy = resolve_policy(limit_per_window=100, window_seconds=10.0)
    limiter = SharedRateLimiter(open_store(str(not_a_directory)), "sha256-test", policy)
    async with client_for(server, limiter=limiter) as client:
        with pytest.raises(RateLimiterUnavailableError) as info:
            await client.create_interview(request())
    assert posts(server) == []
    assert "RateLimitStoreError" in info.value.message
    assert status_for_error(info.value) is Status.PENDING_RETRY
