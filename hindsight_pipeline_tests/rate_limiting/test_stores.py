"""Every store, directly: atomic steps, shared by threads and processes.

Runs against the file store, Redis and Postgres (the latter two skipped when unreachable).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from hindsight_pipeline.rate_limiting import Priority, RateLimitStore, open_store
from hindsight_pipeline.rate_limiting.key_state import (
    PACED,
    PAUSED,
    SERVER_EXHAUSTED,
    WINDOW_FULL,
    YIELD_TO_NORMAL,
    AcquireRequest,
)
from hindsight_pipeline.rate_limiting.store import RateLimitStoreError, api_key_fingerprint
from hindsight_pipeline_tests.rate_limiting.checks import max_in_any_interval
from hindsight_pipeline_tests.rate_limiting.workers import hammer_store


@pytest.fixture
def store(store_url: str) -> Iterator[RateLimitStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def ask(
    limit: int = 3, span: float = 30.0, priority: Priority = Priority.NORMAL, waiter: str = "w"
) -> AcquireRequest:
    return AcquireRequest(limit=limit, span_s=span, priority=priority, waiter_id=waiter)


def test_grants_the_limit_then_refuses_with_the_wait(store: RateLimitStore, key_id: str) -> None:
    granted = [store.acquire(key_id, ask()) for _ in range(3)]
    assert all(d.granted for d in granted)
    refused = store.acquire(key_id, ask())
    assert (refused.granted, refused.reason) == (False, WINDOW_FULL)
    # Room comes back when the first grant leaves the 30 s span.
    assert refused.wait_s == pytest.approx(granted[0].now + 30.0 - refused.now, abs=1e-3)
    assert 29.0 < refused.wait_s <= 30.0
    snapshot = store.snapshot(key_id)
    assert snapshot.grants == pytest.approx([d.now for d in granted], abs=1e-5)


def test_the_pace_spreads_permits_over_the_span(store: RateLimitStore, key_id: str) -> None:
    request = AcquireRequest(10, 30.0, Priority.NORMAL, "w", pace_s=3.0)
    first, second = store.acquire(key_id, request), store.acquire(key_id, request)
    assert first.granted and second.granted  # two back to back after an idle spell
    refused = store.acquire(key_id, request)
    assert (refused.granted, refused.reason) == (False, PACED)
    # The third is due one interval after the first.
    assert refused.wait_s == pytest.approx(first.now + 3.0 - refused.now, abs=1e-3)
    assert store.snapshot(key_id).paced_until == pytest.approx(first.now + 6.0, abs=1e-3)


def test_a_pause_holds_everyone(store: RateLimitStore, key_id: str) -> None:
    store.pause(key_id, store.now() + 20)
    refused = store.acquire(key_id, ask(limit=100))
    assert (refused.granted, refused.reason) == (False, PAUSED)
    assert 19.0 < refused.wait_s <= 20.0


def test_the_server_s_view_caps_what_is_left(store: RateLimitStore, key_id: str) -> None:
    first = store.acquire(key_id, ask(limit=100))
    store.acquire(key_id, ask(limit=100))  # granted after `first`: not yet counted by the server
    store.record_server_view(
        key_id,
        remaining=3,
        reset_at=store.now() + 20,
        acquired_at=first.now,
        span_s=30.0,
        same_window_tolerance_s=1.0,
    )
    assert store.snapshot(key_id).server_left == 2
    assert store.acquire(key_id, ask(limit=100)).granted
    assert store.acquire(key_id, ask(limit=100)).granted
    refused = store.acquire(key_id, ask(limit=100))
    assert (refused.granted, refused.reason) == (False, SERVER_EXHAUSTED)
    assert 19.0 < refused.wait_s <= 20.0


def test_a_low_caller_yields_to_a_waiting_normal_one(store: RateLimitStore, key_id: str) -> None:
    span = 0.4
    assert store.acquire(key_id, ask(limit=1, span=span)).granted
    daily = store.acquire(key_id, ask(limit=1, span=span, waiter="daily"))
    assert not daily.granted and "daily" in store.snapshot(key_id).normal_waiters
    time.sleep(daily.wait_s + 0.01)
    # The window has room again, the low caller asks first, and still yields.
    backfill = store.acquire(key_id, ask(limit=1, span=span, priority=Priority.LOW, waiter="b"))
    assert (backfill.granted, backfill.reason) == (False, YIELD_TO_NORMAL)
    granted = store.acquire(key_id, ask(limit=1, span=span, waiter="daily"))
    assert granted.granted
    # Granted, the daily waiter keeps its lease, at its grant time, until the grace runs out.
    assert store.snapshot(key_id).normal_waiters == {"daily": pytest.approx(granted.now, abs=1e-3)}


def test_many_threads_in_four_processes_never_get_more_than_the_limit(
    store_url: str, key_id: str, process_pool: ProcessPoolExecutor
) -> None:
    limit, span = 10, 0.5
    until = time.time() + 2.5
    futures = [
        process_pool.submit(hammer_store, store_url, key_id, limit, span, until, 4, f"p{n}")
        for n in range(4)
    ]
    per_process = [future.result() for future in futures]
    grants = [g for times in per_process for g in times]
    # Atomic: never more than `limit` grants in any span ...
    assert max_in_any_interval(grants, span) <= limit
    # ... every process took part, and the limit was reached (16 threads contending).
    assert all(per_process)
    active = max(grants) - min(grants)
    assert len(grants) >= 0.9 * limit * active / span


def test_api_key_fingerprint_names_a_key_without_revealing_it() -> None:
    fingerprint = api_key_fingerprint("hs_live_0123456789abcdef")
    assert fingerprint.startswith("sha256-") and len(fingerprint) == 23
    assert "0123456789" not in fingerprint
    assert fingerprint == api_key_fingerprint("hs_live_0123456789abcdef")
    assert fingerprint != api_key_fingerprint("hs_live_0123456789abcdeg")


def test_unusable_key_ids_and_stores_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path)
    with pytest.raises(ValueError, match="key_id"):
        store.acquire("../../etc/passwd", ask())
    with pytest.raises(ValueError, match="unsupported rate-limit store 'mysql://u:\\*\\*\\*@h/db'"):
        open_store("mysql://u:secret@h/db")
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    with pytest.raises(RateLimitStoreError):
        open_store(blocked / "sub").acquire("k", ask())


def test_an_unreachable_server_store_raises_a_store_error_without_the_password() -> None:
    store = open_store("redis://:hunter2@127.0.0.1:1/0")
    with pytest.raises(RateLimitStoreError) as caught:
        store.acquire("k", ask())
    assert "hunter2" not in str(caught.value)
    store = open_store("postgresql://app:hunter2@127.0.0.1:1/db?connect_timeout=1")
    with pytest.raises(RateLimitStoreError) as caught:
        store.acquire("k", ask())
    assert "hunter2" not in str(caught.value)
