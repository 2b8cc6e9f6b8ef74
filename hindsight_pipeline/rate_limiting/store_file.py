"""The file store: one JSON file per key, read and rewritten under an exclusive file lock.

For every process on one host (the default). The lock is taken per step with a fresh lock
object, so threads of one process exclude each other as processes do. The file is replaced
atomically (write to a temporary file, then rename), so a crash mid-write leaves the old
state, never half a file. Not for network file systems, whose locks are unreliable: use
Redis or Postgres when runs are on several hosts.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from hindsight_pipeline.rate_limiting.key_state import KeyState
from hindsight_pipeline.rate_limiting.store import (
    KeyStateStore,
    RateLimitStoreError,
    validate_key_id,
)

T = TypeVar("T")

# A step holds the lock for well under a millisecond; waiting this long means something
# is wrong (a stuck process holding it, a broken file system).
LOCK_TIMEOUT_SECONDS = 30.0


class FileStore(KeyStateStore):
    """Keys' states as ``<directory>/<key_id>.json`` (+ ``.lock``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"FileStore({str(self.directory)!r})"

    def _paths(self, key_id: str) -> tuple[Path, Path]:
        name = validate_key_id(key_id)
        return self.directory / f"{name}.json", self.directory / f"{name}.lock"

    def _step(self, key_id: str, step: Callable[[KeyState, float], T], *, write: bool = True) -> T:
        state_path, lock_path = self._paths(key_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with FileLock(str(lock_path), timeout=LOCK_TIMEOUT_SECONDS):
                try:
                    text = state_path.read_bytes()
                except FileNotFoundError:
                    text = b""
                state = KeyState.from_json(text)
                result = step(state, time.time())
                if write:
                    self._write(state_path, state.to_json())
                return result
        except Timeout as exc:
            raise RateLimitStoreError(
                f"the rate-limit lock {lock_path} was not free within {LOCK_TIMEOUT_SECONDS:.0f} s"
            ) from exc
        except OSError as exc:
            raise RateLimitStoreError(
                f"the rate-limit store in {self.directory} failed: {exc.strerror or exc}"
            ) from exc

    @staticmethod
    def _write(path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def now(self) -> float:
        return time.time()

    def close(self) -> None:
        return None
