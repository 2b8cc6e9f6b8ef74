"""The Postgres store: one row per key, each step one transaction holding the row's lock.

``SELECT ... FOR UPDATE`` serializes the steps of every process and host on the key; the
step itself is :mod:`.key_state`'s, on the database's clock (``clock_timestamp()``). One
connection per store (per process), used by one thread at a time; a broken connection is
replaced once, then the error is raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg
from psycopg import sql

from hindsight_pipeline.rate_limiting.key_state import (
    AcquireDecision,
    AcquireRequest,
    KeyState,
    apply_pause,
    apply_server_view,
    decide_acquire,
)
from hindsight_pipeline.rate_limiting.store import (
    RateLimitStoreError,
    redact_url,
    validate_key_id,
)

T = TypeVar("T")

DEFAULT_TABLE = "hindsight_rate_limit_state"
# Any constant works; it only keeps two processes from creating the table at once
# (CREATE TABLE IF NOT EXISTS is not safe against itself).
_CREATE_LOCK_ID = 0x48_52_4C_53  # "HRLS"
CONNECT_TIMEOUT_SECONDS = 10


class PostgresStore:
    """Keys' states in the table ``table`` of the database at ``url``."""

    def __init__(self, url: str, *, table: str = DEFAULT_TABLE) -> None:
        self._url = url
        self._display_url = redact_url(url)
        self._table = sql.Identifier(table)
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PostgresStore({self._display_url!r})"

    def _connect(self) -> psycopg.Connection:
        # Autocommit: every step is an explicit `with conn.transaction()` block.
        conn = psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK_ID,))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " key_id text PRIMARY KEY,"
                    " state jsonb NOT NULL,"
                    " updated_at timestamptz NOT NULL DEFAULT now())"
                ).format(self._table)
            )
        return conn

    def _step(self, key_id: str, step: Callable[[KeyState, float], T], *, write: bool = True) -> T:
        validate_key_id(key_id)
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                    return self._transaction(self._conn, key_id, step, write)
                except psycopg.OperationalError as exc:
                    # A dropped connection: replace it once. A step that did commit before
                    # the drop and runs again only makes the limiter stricter.
                    self._discard()
                    if attempt == 2:
                        raise RateLimitStoreError(
                            f"the rate-limit store {self._display_url} failed: "
                            f"{type(exc).__name__}: {exc}"
                        ) from exc
                except psycopg.Error as exc:
                    self._discard()
                    raise RateLimitStoreError(
                        f"the rate-limit store {self._display_url} failed: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
        raise AssertionError("unreachable")

    def _transaction(
        self,
        conn: psycopg.Connection,
        key_id: str,
        step: Callable[[KeyState, float], T],
        write: bool,
    ) -> T:
        select = sql.SQL(
            "SELECT state::text, extract(epoch FROM clock_timestamp())::float8"
            " FROM {} WHERE key_id = %s FOR UPDATE"
        ).format(self._table)
        with conn.transaction():
            row = conn.execute(select, (key_id,)).fetchone()
            if row is None:
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {} (key_id, state) VALUES (%s, '{{}}'::jsonb)"
                        " ON CONFLICT (key_id) DO NOTHING"
                    ).format(self._table),
                    (key_id,),
                )
                row = conn.execute(select, (key_id,)).fetchone()
            assert row is not None
            state = KeyState.from_json(row[0])
            result = step(state, float(row[1]))
            if write:
                conn.execute(
                    sql.SQL(
                        "UPDATE {} SET state = %s::jsonb, updated_at = now() WHERE key_id = %s"
                    ).format(self._table),
                    (state.to_json(), key_id),
                )
            return result

    def _discard(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def acquire(self, key_id: str, request: AcquireRequest) -> AcquireDecision:
        return self._step(key_id, lambda state, now: decide_acquire(state, request, now))

    def record_server_view(
        self,
        key_id: str,
        *,
        remaining: int,
        reset_at: float,
        acquired_at: float,
        span_s: float,
        same_window_tolerance_s: float,
    ) -> None:
        self._step(
            key_id,
            lambda state, now: apply_server_view(
                state,
                remaining=remaining,
                reset_at=reset_at,
                acquired_at=acquired_at,
                now=now,
                span_s=span_s,
                same_window_tolerance_s=same_window_tolerance_s,
            ),
        )

    def pause(self, key_id: str, until: float) -> None:
        self._step(key_id, lambda state, now: apply_pause(state, until))

    def snapshot(self, key_id: str) -> KeyState:
        return self._step(key_id, lambda state, now: state, write=False)

    def now(self) -> float:
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute(
                "SELECT extract(epoch FROM clock_timestamp())::float8"
            ).fetchone()
        assert row is not None
        return float(row[0])

    def close(self) -> None:
        with self._lock:
            self._discard()
