"""Where the limiter's state lives, so every process and host on the key shares it.

Three stores, chosen by a URL (:func:`open_store`):

- a directory or ``file://`` path: one JSON file per key under an exclusive file lock
  (:mod:`.store_file`); for every process on one host. The default.
- ``redis://`` / ``rediss://``: one Lua script per step (:mod:`.store_redis`).
- ``postgresql://`` / ``postgres://``: one row per key, locked with ``SELECT ... FOR
  UPDATE`` for the step (:mod:`.store_postgres`).

Each step is atomic in the store, and the store's clock is the one used (Redis ``TIME``,
Postgres ``clock_timestamp()``), so hosts with slightly different clocks agree.

Why not pyrate-limiter's buckets (SQLite + file lock, Redis, Postgres)? They count
correctly across processes (measured: never more than the limit in any window, 4
processes, all three backends), but a permit here is more than a count: the same atomic
step must also honour a pause that a 429 put on the key, the budget the server says is
left in its window, and normal-priority waiters in other processes. pyrate-limiter's
buckets have none of these, so they would live in a second store next to the bucket, with
no atomicity between the two. Its SQLite and Postgres buckets are also synchronous inside
``try_acquire_async`` (measured event-loop stalls of 147 ms and 85 ms with 4 processes
contending), its Postgres bucket needs ``psycopg_pool`` (not a dependency here) and answers
contention with ``LOCK TABLE ... NOWAIT`` failures. docs/rate-limiting.md has the figures.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from hindsight_pipeline.rate_limiting.key_state import (
    AcquireDecision,
    AcquireRequest,
    KeyState,
    apply_pause,
    apply_server_view,
    decide_acquire,
)

T = TypeVar("T")

_KEY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class RateLimitStoreError(RuntimeError):
    """The shared store could not be reached or used. Sends stop rather than run unlimited."""


class RateLimitStore(Protocol):
    """The atomic steps on one key's state. Thread-safe; blocking (callers use a thread)."""

    def acquire(self, key_id: str, request: AcquireRequest) -> AcquireDecision:
        """Grant a permit or say how long to wait (see :func:`.key_state.decide_acquire`)."""
        ...

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
        """Take in the server's Remaining / Reset (see :func:`.key_state.apply_server_view`)."""
        ...

    def pause(self, key_id: str, until: float) -> None:
        """No sender on the key may send before ``until`` (Unix time)."""
        ...

    def snapshot(self, key_id: str) -> KeyState:
        """A copy of the key's state, for tests and diagnostics (not pruned)."""
        ...

    def now(self) -> float:
        """The store's clock, Unix seconds."""
        ...

    def close(self) -> None: ...


class KeyStateStore(ABC):
    """A store that keeps each key's :class:`KeyState` whole and runs :mod:`.key_state`'s
    steps on it in Python (the file and Postgres stores; Redis runs them as Lua instead).

    A subclass provides :meth:`_step` (load, step on the store's clock, save: atomically),
    :meth:`~RateLimitStore.now` and :meth:`~RateLimitStore.close`.
    """

    @abstractmethod
    def _step(self, key_id: str, step: Callable[[KeyState, float], T], *, write: bool = True) -> T:
        """``step(state, now)`` on the key's state, atomically; the state saved if ``write``."""

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


class _Revealable(Protocol):
    def reveal(self) -> str: ...


def api_key_fingerprint(api_key: str | _Revealable) -> str:
    """A non-secret name for an API key (``sha256-`` + 16 hex digits of its SHA-256), to
    namespace the shared store: the key itself is never stored or logged."""
    value = api_key if isinstance(api_key, str) else api_key.reveal()
    if not value:
        raise ValueError("the API key is empty")
    return "sha256-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def validate_key_id(key_id: str) -> str:
    """``key_id`` if it is a safe name for a file, a Redis key and a row: letters, digits,
    ``. _ : -``, at most 128 characters. It names the API key; it must not BE the key."""
    if not isinstance(key_id, str) or not _KEY_ID_RE.match(key_id):
        raise ValueError(
            "key_id must be 1-128 characters of letters, digits and . _ : - "
            "(use api_key_fingerprint(api_key), never the key itself)"
        )
    return key_id


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable store URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def store_kind(url: str) -> str:
    """``"redis"``, ``"postgres"`` or ``"file"`` for a store URL or path."""
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("redis", "rediss", "unix"):
        return "redis"
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    if scheme in ("", "file"):
        return "file"
    raise ValueError(
        f"unsupported rate-limit store {redact_url(url)!r}: "
        "use a directory path, file://, redis:// or postgresql://"
    )


def open_store(url: str | os.PathLike[str]) -> RateLimitStore:
    """A new store for ``url`` (see the module docstring). Connections open lazily."""
    text = os.fspath(url)
    kind = store_kind(text)
    if kind == "redis":
        from hindsight_pipeline.rate_limiting.store_redis import RedisStore

        return RedisStore(text)
    if kind == "postgres":
        from hindsight_pipeline.rate_limiting.store_postgres import PostgresStore

        return PostgresStore(text)
    from hindsight_pipeline.rate_limiting.store_file import FileStore

    path = urlsplit(text).path if text.startswith("file://") else text
    return FileStore(Path(path))


_shared: dict[tuple[int, str], RateLimitStore] = {}
_shared_lock = threading.Lock()


def shared_store(url: str | os.PathLike[str]) -> RateLimitStore:
    """One store per URL per process: limiters on the same store share its connection.

    Keyed by process id too, so a forked child never uses its parent's connection.
    """
    key = (os.getpid(), os.fspath(url))
    with _shared_lock:
        store = _shared.get(key)
        if store is None:
            store = open_store(url)
            _shared[key] = store
        return store
