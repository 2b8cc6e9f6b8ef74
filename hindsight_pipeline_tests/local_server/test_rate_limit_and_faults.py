"""The plan's limit holds exactly; faults are what the vocabulary says."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    CreateInterviewRequest,
    HindsightError,
    RetryPolicy,
)
from hindsight_pipeline.local_server import (
    FaultConfig,
    FaultRule,
    HindsightState,
    LatencyConfig,
    LocalHindsightServer,
    ServerConfig,
)

LIMIT = 20
WINDOW = 2.0
AUTH = {"Authorization": "Bearer hs_local_dev_key"}


@pytest.fixture(scope="module")
def small() -> Iterator[LocalHindsightServer]:
    with LocalHindsightServer(ServerConfig(limit=LIMIT, window_seconds=WINDOW)) as server:
        yield server


def sleep_to_next_window(window: float) -> float:
    """Setup: start just after a window boundary, so a burst lands in one window."""
    now = time.time()
    start = math.floor(now / window) * window + window
    time.sleep(start - now + 0.02)
    return start


def test_the_server_holds_its_plan_limit_exactly(small: LocalHindsightServer) -> None:
    small.reset()
    window_start = sleep_to_next_window(WINDOW)

    async def burst() -> list[int | str]:
        async with AsyncHindsightClient(
            small.base_url, small.api_key, retry=RetryPolicy.no_retries()
        ) as client:

            async def one(i: int) -> int | str:
                try:
                    await client.create_interview(
                        CreateInterviewRequest(
                            contact_email=f"u{i}@b.co", sequence_id="seq_winloss_default"
                        )
                    )
                    return 201
                except HindsightError as error:
                    return error.code

            return await asyncio.gather(*(one(i) for i in range(30)))

    results = asyncio.run(burst())
    records = small.requests()
    assert all(window_start <= r["time"] < window_start + WINDOW for r in records), (
        "the burst spanned two windows"
    )
    assert Counter(results) == {201: LIMIT, "rate_limit_exceeded": 30 - LIMIT}
    assert len(small.interviews()) == LIMIT  # a 429 creates nothing
    remaining = sorted(r["rate_limit_remaining"] for r in records)
    assert remaining == [0] * (30 - LIMIT + 1) + list(range(1, LIMIT))


def test_headers_on_every_response_and_the_reset_is_the_window_end(
    small: LocalHindsightServer,
) -> None:
    small.reset()
    now = time.time()
    with httpx.Client(base_url=small.base_url, headers=AUTH) as http:
        responses = [
            http.get("/deals"),
            http.get("/interviews/424242"),
            http.post("/interviews", json={}),
        ]
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
        reset = int(response.headers["X-RateLimit-Reset"])
        assert reset % WINDOW == 0 and now < reset <= now + WINDOW + 0.1


def test_fractional_windows_round_the_reset_up() -> None:
    clock = [1000.3]
    state = HindsightState(ServerConfig(limit=2, window_seconds=2.5), clock=lambda: clock[0])
    decision = state.admit(1000.3)  # window [1000.0, 1002.5)
    assert (decision.allowed, decision.remaining, decision.reset_header) == (True, 1, 1003)
    assert state.admit(1002.4).allowed
    third = state.admit(1002.49)
    assert not third.allowed and third.retry_after == 1
    assert state.admit(1002.5).allowed  # the next window


def test_429_carries_retry_after(small: LocalHindsightServer) -> None:
    small.reset()
    small.spend_budget()
    with httpx.Client(base_url=small.base_url, headers=AUTH) as http:
        response = http.get("/deals")
    if response.status_code == 200:  # the window turned over between the two calls
        pytest.skip("window boundary")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(response.headers["Retry-After"]) <= math.ceil(WINDOW)
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_fault_rule_vocabulary() -> None:
    assert FaultRule.parse("500") == FaultRule("500")
    assert FaultRule.parse("500_once") == FaultRule("500", 1)
    assert FaultRule.parse("drop_x3") == FaultRule("drop", 3)
    assert FaultRule.parse("slow_1500_once") == FaultRule("slow", 1, 1500.0)
    for bad in ("501", "drop_twice", "slow", "x"):
        with pytest.raises(ValueError):
            FaultRule.parse(bad)
    with pytest.raises(ValueError):
        FaultConfig(rate_500=0.6, rate_503=0.6)


def test_rates_are_seeded_and_close_to_the_configured_probabilities() -> None:
    def draws(seed: int) -> list[str | None]:
        state = HindsightState(
            ServerConfig(faults=FaultConfig(rate_500=0.2, rate_504=0.1, seed=seed))
        )
        return [state.decide_fault(None)[0].fault for _ in range(2000)]

    first = draws(7)
    assert first == draws(7)
    assert first != draws(8)
    counts = Counter(first)
    assert 320 <= counts["500"] <= 480 and 140 <= counts["504"] <= 260


def test_latency_distributions_are_seeded() -> None:
    def samples(latency: LatencyConfig) -> list[float]:
        state = HindsightState(ServerConfig(faults=FaultConfig(latency=latency, seed=3)))
        return [state.decide_fault(None)[1] for _ in range(500)]

    assert samples(LatencyConfig(ms=40)) == [0.04] * 500
    uniform = samples(LatencyConfig(kind="uniform", min_ms=10, max_ms=30))
    assert all(0.01 <= s <= 0.03 for s in uniform) and uniform == samples(
        LatencyConfig(kind="uniform", min_ms=10, max_ms=30)
    )
    lognormal = sorted(samples(LatencyConfig(kind="lognormal", median_ms=50, sigma=0.5)))
    assert 0.04 < lognormal[250] < 0.06


def test_email_rules_count_per_email_and_the_queue_comes_first() -> None:
    state = HindsightState(
        ServerConfig(
            faults=FaultConfig(by_email={"A@b.co": ["slow_100", "500_x2"]}, queue=["503", "ok"])
        )
    )
    decisions = [state.decide_fault("a@b.co") for _ in range(5)]
    assert [(d.fault, d.source) for d, _ in decisions] == [
        ("503", "queue"),
        (None, "queue"),
        ("500", "email"),
        ("500", "email"),
        (None, "email"),
    ]
    assert [round(latency, 3) for _, latency in decisions[2:]] == [0.1, 0.1, 0.1]


def test_latency_is_applied_after_counting(small: LocalHindsightServer) -> None:
    small.reset()
    small.set_faults(latency={"ms": 150})
    with httpx.Client(base_url=small.base_url, headers=AUTH) as http:
        started = time.monotonic()
        response = http.get("/deals")
        elapsed = time.monotonic() - started
    (record,) = small.requests()
    assert response.status_code == 200 and elapsed >= 0.15
    assert record["answered_at"] - record["time"] >= 0.15  # counted on arrival, answered later
    small.set_faults()


def test_drop_degrades_to_504_outside_uvicorn() -> None:
    from hindsight_pipeline.local_server import create_app

    app = create_app(ServerConfig(faults=FaultConfig(by_email={"a@b.co": "drop"})))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as http:
            return await http.post(
                "/api/v1/interviews",
                headers=AUTH,
                json={"contact_email": "a@b.co", "sequence_id": "seq_winloss_default"},
            )

    assert asyncio.run(call()).status_code == 504
    assert len(app.state.hindsight.interviews()) == 1
