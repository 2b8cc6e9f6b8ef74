"""The Snowflake warehouse's transactions hold what the ledger's atomicity needs.

Snowflake cannot be reached from here, so its connection is the one stand-in: a connection
with the connector's surface that runs the very same SQL on DuckDB and records, for each
statement, whether it ran inside an open transaction after data was changed in it. On
Snowflake a DDL statement there would commit the transaction and release the lock row that
serializes claimers; the connector also refuses to bind values of classes it has no
converter for (pandas ``Timestamp``).
"""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from hindsight_pipeline.interview_requests.ledger import Ledger, ensure_ledger_tables
from hindsight_pipeline.interview_requests.outcomes import Outcome
from hindsight_pipeline.interview_requests.schema import RESULTS_TABLE
from hindsight_pipeline.warehouse import SnowflakeWarehouse

DDL = ("create", "drop", "alter", "truncate")
DML = ("insert", "update", "delete", "merge")
# What snowflake.connector's converter binds (by class name), and None.
BINDABLE = (str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date, type(None))


class Recorder:
    def __init__(self) -> None:
        self.ddl_after_dml: list[str] = []
        self.unbindable: list[str] = []
        self.statements = 0


class _Cursor:
    def __init__(self, connection: DuckDBBackedConnection) -> None:
        self._connection = connection
        self._result: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, params: Any = None) -> None:
        self._connection.before(sql, [params or []])
        self._result = self._connection.duck.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self._connection.before(sql, rows)
        self._connection.duck.executemany(sql, rows)

    def fetchall(self) -> list[tuple[Any, ...]]:
        assert self._result is not None
        return self._result.fetchall()

    @property
    def description(self) -> Any:
        assert self._result is not None
        return self._result.description


class DuckDBBackedConnection:
    """The connector's connection surface (cursor, autocommit, commit, rollback, close)."""

    def __init__(self, path: Path, recorder: Recorder) -> None:
        self.duck = duckdb.connect(str(path))
        self.duck.execute("set TimeZone = 'UTC'")
        self.recorder = recorder
        self._autocommit = True
        self._in_transaction = False
        self._changed = False

    def before(self, sql: str, rows: list[Any]) -> None:
        verb = sql.strip().split(None, 1)[0].lower()
        self.recorder.statements += 1
        if not self._autocommit and not self._in_transaction:
            self.duck.execute("begin transaction")
            self._in_transaction, self._changed = True, False
        if verb in DDL and self._in_transaction and self._changed:
            self.recorder.ddl_after_dml.append(sql.strip().splitlines()[0])
        if verb in DML:
            self._changed = True
        for row in rows:
            for value in row:
                if not isinstance(value, BINDABLE) or isinstance(value, pd.Timestamp):
                    self.recorder.unbindable.append(f"{type(value).__name__} in {verb}")

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def autocommit(self, on: bool) -> None:
        self._autocommit = on

    def commit(self) -> None:
        if self._in_transaction:
            self.duck.execute("commit")
        self._in_transaction = False

    def rollback(self) -> None:
        if self._in_transaction:
            self.duck.execute("rollback")
        self._in_transaction = False

    def close(self) -> None:
        self.duck.close()


RECORDERS: dict[str, Recorder] = {}


class RecordedSnowflakeWarehouse(SnowflakeWarehouse):
    duckdb_file: str

    def _connect(self) -> Any:
        return DuckDBBackedConnection(Path(self.duckdb_file), RECORDERS[self.duckdb_file])


@pytest.fixture
def snowflake(tmp_path: Path) -> tuple[RecordedSnowflakeWarehouse, Recorder]:
    path = str(tmp_path / "snowflake_stand_in.duckdb")
    RECORDERS[path] = Recorder()
    warehouse = RecordedSnowflakeWarehouse(
        account="acme", user="pipeline", database="analytics", duckdb_file=path
    )
    return warehouse, RECORDERS[path]


def _candidates(n: int, day: datetime.date) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": [f"006{i:05d}" for i in range(n)],
            "contact_id": [f"003{i:05d}" for i in range(n)],
            "email": [f"buyer{i}@example.com" for i in range(n)],
            "closed_lost_date": [day] * n,
            "sequence_id": ["seq_default"] * n,
            "objective": ["Understand why we lost"] * n,
        }
    )


def test_ledger_transactions_run_no_ddl_after_a_change_and_bind_only_supported_types(
    snowflake: tuple[RecordedSnowflakeWarehouse, Recorder],
) -> None:
    warehouse, recorder = snowflake
    day = datetime.date(2026, 11, 2)
    ensure_ledger_tables(warehouse)
    ledger = Ledger(warehouse, "run-1")

    claim = ledger.claim(_candidates(6, day))
    assert len(claim.claimed) == 6
    now = datetime.datetime(2026, 11, 3, 6, 0)
    outcomes = pd.DataFrame(
        [
            Outcome(f"006{i:05d}", f"003{i:05d}", "sent", 1, now, interview_request_id=100 + i)
            for i in range(3)
        ]
    )
    attempts = pd.DataFrame(
        {
            "deal_id": outcomes["deal_id"],
            "contact_id": outcomes["contact_id"],
            "event": "http_attempt",
            "attempt": 1,
            "attempted_at": pd.Timestamp(now),
            "http_status": 201,
            "outcome": "accepted",
        }
    )
    ledger.record_results(outcomes, attempts)
    ledger.release(claim.claimed.iloc[3:], error_code="paused", message="sends paused")
    # A second run meets the same rows: the accepted ones are never claimed again.
    again = Ledger(warehouse, "run-2").claim(_candidates(6, day))

    assert recorder.statements > 0
    assert recorder.ddl_after_dml == []
    assert recorder.unbindable == []
    assert list(again.claimed["opportunity_id"]) == [f"006{i:05d}" for i in range(3, 6)]
    rows = warehouse.query_df(
        f"select status, count(*) as n from {RESULTS_TABLE} group by 1 order by 1"
    )
    assert dict(zip(rows["status"], rows["n"], strict=True)) == {"sending": 3, "sent": 3}
