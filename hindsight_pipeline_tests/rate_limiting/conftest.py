"""Stores for the rate-limiting tests: the file store always, Redis and Postgres when the
services are reachable (skipped with the reason otherwise)."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from hindsight_pipeline_tests.rate_limiting.workers import warm_up

PROCESSES = 4

REDIS_URL = os.environ.get("HINDSIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get(
    "HINDSIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def redis_unreachable() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); set HINDSIGHT_TEST_REDIS_URL"
    return None


def postgres_unreachable() -> str | None:
    import psycopg

    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=2).close()
    except psycopg.Error as exc:
        return (
            f"Postgres not reachable at {POSTGRES_URL} ({type(exc).__name__}); "
            "set HINDSIGHT_TEST_POSTGRES_URL"
        )
    return None


def store_url_for(kind: str, tmp_path: Path) -> str:
    if kind == "redis":
        reason = redis_unreachable()
        if reason:
            pytest.skip(reason)
        return REDIS_URL
    if kind == "postgres":
        reason = postgres_unreachable()
        if reason:
            pytest.skip(reason)
        return POSTGRES_URL
    return str(tmp_path / "rate_limiter")


def forget_key(store_url: str, key_id: str) -> None:
    """Remove a test key's state from Redis / Postgres (files go with tmp_path)."""
    if store_url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(store_url)
        keys = list(client.scan_iter(f"hindsight:rate_limit:{{{key_id}}}:*"))
        if keys:
            client.delete(*keys)
    elif store_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute("DELETE FROM hindsight_rate_limit_state WHERE key_id = %s", (key_id,))


@pytest.fixture(params=["file", "redis", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url_for(request.param, tmp_path)


@pytest.fixture
def key_id(store_url: str) -> Iterator[str]:
    key = f"test-{uuid.uuid4().hex[:12]}"
    yield key
    forget_key(store_url, key)


@pytest.fixture(scope="session")
def process_pool() -> Iterator[ProcessPoolExecutor]:
    """Four spawned processes, started and warmed once (imports done), for the tests that
    share a key between processes: a test can then start them all at one instant."""
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        # Each task holds its process a moment, so the pool starts all four.
        list(pool.map(warm_up, [0.3] * PROCESSES))
        yield pool
