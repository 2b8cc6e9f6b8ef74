"""The embedded warehouse: one DuckDB file, shared safely by several processes.

DuckDB lets one process at a time open a file for writing, and dbt-duckdb holds it for a
whole dbt run. So every access here is short-lived and goes through a file lock beside the
database (our processes queue instead of failing), and a conflict with a process outside
that lock (a user's DuckDB shell, a dbt run started by hand) is waited out and retried.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
from filelock import FileLock
from pydantic import Field

from hindsight_pipeline.paths import data_dir
from hindsight_pipeline.warehouse.base import (
    BUSY_TIMEOUT_S,
    ScratchTables,
    Warehouse,
    create_scratch_sql,
)
from hindsight_pipeline.warehouse.session import Params, WarehouseSession

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_FILE_NAME = "warehouse.duckdb"


def lock_conflict_delay(attempt: int) -> float:
    """Exponential backoff with jitter, capped at 5 s, before trying a locked file again."""
    return min(5.0, 0.05 * 2 ** min(attempt, 7)) * (0.5 + random.random())


def default_duckdb_path() -> Path:
    return data_dir() / DEFAULT_FILE_NAME


def is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB's "another process holds the file" and in-process write-write conflicts."""
    return isinstance(exc, (duckdb.IOException, duckdb.TransactionException)) and (
        is_lock_conflict_message(str(exc))
    )


def is_lock_conflict_message(text: str) -> bool:
    """The same, from an error's text (as a dbt invocation reports it)."""
    lowered = text.lower()
    return "lock" in lowered or "conflict" in lowered


class DuckDBSession:
    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._con = connection

    def execute(self, sql: str, params: Params = None) -> None:
        self._con.execute(sql, params)

    def query_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self._con.execute(sql, params).df()

    def insert_df(self, table: str, df: pd.DataFrame) -> None:
        if df.empty:
            return
        columns = ", ".join(df.columns)
        self._con.register("_insert_frame", df)
        try:
            self._con.execute(
                f"insert into {table} ({columns}) select {columns} from _insert_frame"
            )
        finally:
            self._con.unregister("_insert_frame")


class DuckDBWarehouse(Warehouse):
    """The embedded default. ``path`` empty means ``data/warehouse.duckdb`` in the project."""

    path: str = Field(default="", description="DuckDB file; empty = the project's data folder.")

    @property
    def database_path(self) -> Path:
        # Absolute, so dbt (which runs in dbt_sql/) opens the very same file.
        return Path(self.path).expanduser().resolve() if self.path else default_duckdb_path()

    def _file_lock(self) -> FileLock:
        return _lock_for(self.database_path)

    @contextlib.contextmanager
    def exclusive_use(self) -> Iterator[None]:
        with self._file_lock():
            yield

    def transaction(
        self, work: Callable[[WarehouseSession], T], *, scratch: ScratchTables | None = None
    ) -> T:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._file_lock(), self._connect() as con:
                    for name, column_types in (scratch or {}).items():
                        con.execute(create_scratch_sql(name, column_types))
                    con.execute("begin transaction")
                    try:
                        result = work(DuckDBSession(con))
                    except BaseException:
                        con.execute("rollback")
                        raise
                    con.execute("commit")
                    return result
            except (duckdb.IOException, duckdb.TransactionException) as exc:
                if not is_lock_conflict(exc) or time.monotonic() > deadline:
                    raise
                delay = lock_conflict_delay(attempt)
                log.info("DuckDB file busy (%s); retrying in %.2fs", type(exc).__name__, delay)
                time.sleep(delay)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.database_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.database_path))
        try:
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    def dbt_target(self) -> str:
        return "duckdb"

    def is_busy_error(self, error_text: str) -> bool:
        return is_lock_conflict_message(error_text)

    def busy_retry_delay(self, attempt: int) -> float:
        return lock_conflict_delay(attempt)

    def dbt_env(self) -> dict[str, str]:
        return {"DBT_TARGET": "duckdb", "DUCKDB_PATH": str(self.database_path)}


_locks: dict[Path, FileLock] = {}


def _lock_for(database: Path) -> FileLock:
    # One FileLock object per file and process: flock is per open file, so two objects for the
    # same path in one process would block each other where one object simply nests.
    if database not in _locks:
        _locks[database] = FileLock(str(database) + ".lock")
    return _locks[database]
