"""The limit shared by processes, counted by the local Hindsight server over loopback.

Each process drives the real client (AsyncHindsightClient) through a SharedRateLimiter;
the server counts requests on arrival in its own fixed windows and answers 429 above the
limit. A short window (20 per 2 s) keeps each case to a few seconds.
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hindsight_pipeline.hindsight_api import AsyncHindsightClient, CreateInterviewRequest
from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.faults import FaultConfig, LatencyConfig
from hindsight_pipeline.local_server.harness import LocalHindsightServer
from hindsight_pipeline.rate_limiting import (
    Priority,
    SharedRateLimiter,
    open_store,
    resolve_policy,
    run_bounded,
)
from hindsight_pipeline_tests.rate_limiting.checks import per_window
from hindsight_pipeline_tests.rate_limiting.conftest import PROCESSES, forget_key, store_url_for
from hindsight_pipeline_tests.rate_limiting.workers import (
    SEQUENCE_ID,
    low_priority_grants,
    send_backlog,
    take_grants,
)

LIMIT = 20
WINDOW = 2.0
LATENCY_MS = 100.0
IN_FLIGHT = 4  # per process
POLICY = resolve_policy(limit_per_window=LIMIT, window_seconds=WINDOW)


def start_server(**faults: Any) -> LocalHindsightServer:
    config = ServerConfig(
        limit=LIMIT,
        window_seconds=WINDOW,
        faults=FaultConfig(latency=LatencyConfig(ms=LATENCY_MS), **faults),
    )
    return LocalHindsightServer(config).start()


def posts(server: LocalHindsightServer) -> list[dict[str, Any]]:
    return server.api_requests("POST", "/api/v1/interviews")


def submit_senders(
    pool: ProcessPoolExecutor,
    server: LocalHindsightServer,
    store_url: str,
    key_id: str,
    start: float,
    stop: float,
) -> list[Future[dict[str, Any]]]:
    """One :func:`send_backlog` per process, all on one key, from ``start`` to ``stop``."""
    return [
        pool.submit(
            send_backlog,
            server.base_url,
            server.api_key,
            store_url,
            key_id,
            POLICY,
            tag=f"p{n}",
            start_at=start,
            stop_at=stop,
            max_in_flight=IN_FLIGHT,
        )
        for n in range(PROCESSES)
    ]


def run_senders(
    pool: ProcessPoolExecutor,
    server: LocalHindsightServer,
    store_url: str,
    key_id: str,
    seconds: float,
) -> tuple[float, float, list[dict[str, Any]]]:
    # Start just after a server window begins: `seconds` then covers whole windows.
    start = math.ceil((time.time() + 0.3) / WINDOW) * WINDOW + 0.05
    stop = start + seconds
    futures = submit_senders(pool, server, store_url, key_id, start, stop)
    return start, stop, [future.result(timeout=seconds + 30) for future in futures]


@pytest.mark.parametrize("kind", ["file", "redis", "postgres"])
def test_four_processes_sharing_the_key_never_exceed_the_limit(
    kind: str, tmp_path: Path, process_pool: ProcessPoolExecutor
) -> None:
    store_url = store_url_for(kind, tmp_path)
    key_id = f"test-shared-{kind}-{time.time_ns()}"
    server = start_server()
    try:
        start, stop, results = run_senders(
            process_pool, server, store_url, key_id, seconds=3 * WINDOW
        )
        requests = posts(server)
    finally:
        server.stop()
        forget_key(store_url, key_id)

    counts = per_window((r["time"] for r in requests), WINDOW)
    assert max(counts.values()) <= LIMIT, (
        f"a server window got more than {LIMIT}: {sorted(counts.items())}"
    )
    assert [r for r in requests if r["status"] == 429] == []
    assert all(r["status"] == 201 for r in requests)
    assert all(result["granted"] > 0 for result in results), "every process sent"
    # At the limit: the server windows the run covers (from 50 ms into the first) are full.
    full = range(math.floor(start / WINDOW), math.floor(stop / WINDOW))
    assert len(full) >= 3
    delivered = sum(counts[w] for w in full)
    assert delivered >= 0.9 * LIMIT * len(full), sorted(counts.items())


def test_a_budget_spent_by_another_tool_costs_no_429_storm(
    tmp_path: Path, process_pool: ProcessPoolExecutor
) -> None:
    """Another tool spends the window's budget (the server's "429" fault); only requests
    already in flight meet the 429; every process then waits for the reset."""
    store_url = str(tmp_path / "rate_limiter")
    key_id = "test-spent-budget"
    server = start_server()
    try:
        # The senders run in the pool while this thread injects the fault.
        start = time.time() + 0.3
        stop = start + 3 * WINDOW
        futures = submit_senders(process_pool, server, store_url, key_id, start, stop)
        # In the middle of the run, the next request to arrive finds the budget spent.
        time.sleep(max(0.0, start + 1.3 * WINDOW - time.time()))
        server.set_faults(FaultConfig(latency=LatencyConfig(ms=LATENCY_MS), queue=["429"]))
        for future in futures:
            future.result(timeout=40)
        requests = posts(server)
    finally:
        server.stop()

    limited = [r for r in requests if r["status"] == 429]
    assert limited, "the fault fired"
    # Only requests already in flight when the first 429 was served can meet one ...
    assert len(limited) <= PROCESSES * IN_FLIGHT
    faulted = {math.floor(r["time"] / WINDOW) for r in limited}
    assert len(faulted) == 1, "no 429 outside the window whose budget was spent"
    # ... and once its answer is seen, nobody sends again in that window.
    first_answer = min(r["answered_at"] for r in limited)
    window_end = (faulted.pop() + 1) * WINDOW
    late = [r for r in requests if first_answer + 0.25 < r["time"] < window_end]
    assert late == [], "a sender kept sending after the 429"
    counts = per_window((r["time"] for r in requests), WINDOW)
    assert max(counts.values()) <= LIMIT + len(limited)


def test_remaining_reported_early_stops_the_sender_at_the_budget(tmp_path: Path) -> None:
    """The server's headers say another tool left only 2 in the window: we send exactly 2
    more there, with no 429 at all."""
    server = start_server()
    limiter = SharedRateLimiter(open_store(tmp_path), "test-early-remaining", POLICY)

    async def main() -> None:
        async with AsyncHindsightClient(server.base_url, server.api_key, limiter=limiter) as client:

            async def send(i: int) -> None:
                await client.create_interview(
                    CreateInterviewRequest(
                        contact_email=f"early-{i}@example.com", sequence_id=SEQUENCE_ID
                    )
                )

            # Start at the beginning of a server window.
            await asyncio.sleep(math.ceil(time.time() / WINDOW) * WINDOW + 0.05 - time.time())
            await send(0)
            server.spend_budget(remaining=2)
            await run_bounded(range(1, LIMIT + 4), send, max_in_flight=1)

    try:
        asyncio.run(main())
        requests = posts(server)
    finally:
        server.stop()
    assert [r for r in requests if r["status"] != 201] == []
    counts = per_window((r["time"] for r in requests), WINDOW)
    first, *rest = sorted(counts)
    assert counts[first] == 3  # 1 before the other tool spent, then exactly the 2 left
    assert all(counts[w] <= LIMIT for w in rest)
    assert limiter.stats.refusals["server_exhausted"] >= 1


def test_a_low_priority_caller_yields_to_a_normal_one_across_processes(
    tmp_path: Path, process_pool: ProcessPoolExecutor
) -> None:
    """Both wait on an exhausted window; the low ones (another process) started waiting
    first; every normal grant still comes before every low grant."""
    store_url = str(tmp_path / "rate_limiter")
    key_id = "test-priority"
    policy = resolve_policy(limit_per_window=3, window_seconds=1.0, arrival_guard_seconds=0.0)
    normal = SharedRateLimiter(open_store(store_url), key_id, policy, priority=Priority.NORMAL)

    # Windows are aligned to whole seconds: exhaust one at its start, so that both callers
    # below are still waiting on it when the normal ones join.
    time.sleep(math.ceil(time.time()) + 0.02 - time.time())
    asyncio.run(take_grants(normal, 3))  # the window is exhausted for about a second
    low_future = process_pool.submit(low_priority_grants, store_url, key_id, policy, 3)
    time.sleep(0.3)  # the low caller is waiting now; the normal ones join it
    normal_grants = asyncio.run(take_grants(normal, 3))
    low_grants = low_future.result(timeout=10)
    assert max(normal_grants) < min(low_grants)
    assert len(low_grants) == 3
