"""Each retry rule, counted on the server."""

from __future__ import annotations

import socket
import time

import pytest

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    ConnectionFailedError,
    CreateInterviewRequest,
    InternalServerError,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
)
from hindsight_pipeline.local_server import LocalHindsightServer, ServerConfig
from hindsight_pipeline_tests.hindsight_api.conftest import (
    SEQUENCE_ID,
    AttemptLog,
    RecordingLimiter,
    client_for,
    posts,
    wait_for_window_start,
)

pytestmark = pytest.mark.anyio

WINDOW = 2.0


@pytest.fixture(scope="module")
def small_server():
    """A server with a small plan and a 2 s window, for the 429 rules."""
    with LocalHindsightServer(ServerConfig(limit=20, window_seconds=WINDOW)) as server:
        yield server


@pytest.fixture
def limited(small_server: LocalHindsightServer) -> LocalHindsightServer:
    small_server.reset()
    return small_server


def request(email: str = "a@b.co") -> CreateInterviewRequest:
    return CreateInterviewRequest(contact_email=email, sequence_id=SEQUENCE_ID)


async def test_503_is_retried(server: LocalHindsightServer) -> None:
    server.set_faults(by_email={"a@b.co": "503_once"})
    attempts = AttemptLog()
    limiter = RecordingLimiter()
    async with client_for(server, on_attempt=attempts, limiter=limiter) as client:
        response = await client.create_interview(request())
    assert response.attempts == 2
    assert [r["status"] for r in posts(server)] == [503, 201]
    assert len(server.interviews()) == 1
    assert [(a.attempt, a.http_status, a.outcome, a.will_retry) for a in attempts] == [
        (1, 503, "retryable", True),
        (2, 201, "ok", False),
    ]
    # The limiter sees every attempt, retries included.
    assert len(limiter.acquired) == len(limiter.observed) == 2


async def test_internal_error_is_retried_until_it_succeeds(server: LocalHindsightServer) -> None:
    server.set_faults(by_email={"a@b.co": "500_x2"})
    async with client_for(server) as client:
        response = await client.create_interview(request())
    assert response.attempts == 3
    assert [r["status"] for r in posts(server)] == [500, 500, 201]
    assert len(server.interviews()) == 1


async def test_retries_are_bounded_in_count(server: LocalHindsightServer) -> None:
    server.set_faults(by_email={"a@b.co": "500", "b@b.co": "503"})
    async with client_for(server, retry=RetryPolicy(max_attempts=4, base_delay=0.01)) as client:
        with pytest.raises(InternalServerError) as internal:
            await client.create_interview(request("a@b.co"))
        with pytest.raises(ServiceUnavailableError) as unavailable:
            await client.create_interview(request("b@b.co"))
    assert internal.value.attempts == 4 and internal.value.code == "internal_error"
    assert unavailable.value.attempts == 4 and unavailable.value.code == "http_503"
    assert len(posts(server)) == 8
    assert server.interviews() == []


async def test_retries_are_bounded_in_time(server: LocalHindsightServer) -> None:
    server.set_faults(by_email={"a@b.co": "503"})
    policy = RetryPolicy(
        max_attempts=1000, base_delay=0.1, max_delay=0.1, jitter=False, max_total_seconds=0.35
    )
    started = time.monotonic()
    async with client_for(server, retry=policy) as client:
        with pytest.raises(ServiceUnavailableError) as info:
            await client.create_interview(request())
    assert time.monotonic() - started < 2.0
    assert 2 <= info.value.attempts <= 4


async def test_gets_retry_when_the_outcome_is_unknown(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        created = await client.create_interview(request())
        server.set_faults(queue=["504", "drop"])
        interview = await client.get_interview(created.interview_request_id)
    assert interview.interview_request_id == created.interview_request_id
    gets = server.api_requests("GET")
    assert len(gets) == 3
    assert gets[0]["status"] == 504 and gets[1]["dropped"] and gets[2]["status"] == 200


def refused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed when the block ends: connecting is refused


async def test_connection_refused_is_retried_then_connection_failed() -> None:
    attempts = AttemptLog()
    limiter = RecordingLimiter()
    client = AsyncHindsightClient(
        f"http://127.0.0.1:{refused_port()}/api/v1",
        "hs_local_dev_key",
        retry=RetryPolicy(max_attempts=3, base_delay=0.01),
        on_attempt=attempts,
        limiter=limiter,
    )
    async with client:
        with pytest.raises(ConnectionFailedError) as info:
            await client.create_interview(request())
    assert info.value.safe_to_retry
    assert (info.value.code, info.value.attempts, info.value.http_status) == (
        "connect_failed",
        3,
        None,
    )
    assert [(a.outcome, a.will_retry, a.http_status) for a in attempts] == [
        ("retryable", True, None),
        ("retryable", True, None),
        ("retryable", False, None),
    ]
    assert len(limiter.acquired) == 3 and limiter.observed == []


async def test_429_waits_for_the_reset_then_retries(limited: LocalHindsightServer) -> None:
    wait_for_window_start(WINDOW, min_left=0.5)
    limited.spend_budget()  # "another tool" spent the window
    limiter = RecordingLimiter()
    attempts = AttemptLog()
    async with client_for(limited, limiter=limiter, on_attempt=attempts) as client:
        response = await client.create_interview(request())
    first, second = posts(limited)
    assert (first["status"], second["status"]) == (429, 201)
    assert first["interview_request_id"] is None
    (reset_at,) = limiter.paused_until
    assert reset_at == limiter.observed[0].reset_at
    assert reset_at % WINDOW == 0
    assert second["time"] >= reset_at  # the retry went out only after the window reset
    assert response.attempts == 2
    assert [a.outcome for a in attempts] == ["rate_limited", "ok"]
    assert len(limited.interviews()) == 1


async def test_429_burst_from_another_tool_pauses_the_limiter(
    limited: LocalHindsightServer,
) -> None:
    wait_for_window_start(WINDOW, min_left=0.5)
    limited.set_faults(by_email={"a@b.co": "429_once"})
    limiter = RecordingLimiter()
    async with client_for(limited, limiter=limiter) as client:
        response = await client.create_interview(request())
    assert [r["status"] for r in posts(limited)] == [429, 201]
    assert len(limiter.paused_until) == 1
    assert posts(limited)[1]["time"] >= limiter.paused_until[0]
    assert response.attempts == 2


async def test_429_without_retries_raises_with_the_reset_time(
    limited: LocalHindsightServer,
) -> None:
    wait_for_window_start(WINDOW, min_left=0.5)
    limited.spend_budget()
    limiter = RecordingLimiter()
    async with client_for(limited, limiter=limiter, retry=RetryPolicy.no_retries()) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.create_interview(request())
    error = info.value
    assert (error.code, error.http_status, error.attempts) == ("rate_limit_exceeded", 429, 1)
    assert error.reset_at is not None and error.reset_at % WINDOW == 0
    assert error.retry_after is not None and 1 <= error.retry_after <= WINDOW + 1
    assert error.safe_to_retry
    assert limiter.paused_until == [error.reset_at]
    assert len(posts(limited)) == 1 and limited.interviews() == []


async def test_rate_limit_wait_is_bounded(limited: LocalHindsightServer) -> None:
    wait_for_window_start(WINDOW, min_left=1.0)
    limited.spend_budget()
    policy = RetryPolicy(max_rate_limit_wait=0.2)  # less than the time to the reset
    started = time.monotonic()
    async with client_for(limited, retry=policy) as client:
        with pytest.raises(RateLimitedError):
            await client.create_interview(request())
    assert time.monotonic() - started < 0.5
    assert len(posts(limited)) == 1
