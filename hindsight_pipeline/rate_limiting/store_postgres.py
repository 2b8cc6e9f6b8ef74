"""The Postgres store: one row per key, each step one transaction holding the row's lock.

``SELECT ... FOR UPDATE`` serializes the steps of every process and host on the key; the
step itself is :mod:`.key_state`'s, on the database's clock (``clock_timestamp()``). One
connection per store (per process), used by one thread at a time; a broken connection is
replaced once, then the error is raised.

Every wait is bounded: connecting (``connect_timeout``), a statement and a row lock
(``statement_timeout`` / ``lock_timeout``, set on the session), a transaction left open
by a stuck process (``idle_in_transaction_session_timeout``, so its row lock is freed),
and a silent network (TCP keepalives). A step holds the row lock for milliseconds, so
these never fire in normal operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg
from psycopg import sql

from hindsight_pipeline.rate_limiting.key_state import KeyState
from hindsight_pipeline.rate_limiting.store import (
    KeyStateStore,
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
STATEMENT_TIMEOUT_MS = 5_000
LOCK_TIMEOUT_MS = 5_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000


class PostgresStore(KeyStateStore):
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
        conn = psycopg.connect(
            self._url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            # A dead peer is noticed after about idle + interval x count = 25 s of silence.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        try:
            # Session settings (not in the URL's `options`, which poolers such as PgBouncer
            # refuse); lock_timeout also bounds the advisory lock below.
            conn.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('lock_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false)",
                (
                    str(STATEMENT_TIMEOUT_MS),
                    str(LOCK_TIMEOUT_MS),
                    str(IDLE_IN_TRANSACTION_TIMEOUT_MS),
                ),
            )
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
        except BaseException:
            conn.close()
            raise
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
