"""Several processes on one DuckDB file: writers and a dbt run wait for each other, none fails."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from hindsight_pipeline.warehouse import DuckDBWarehouse

ROWS_PER_WRITER = 200


def _write_rows(path: str, writer: int) -> int:
    warehouse = DuckDBWarehouse(path=path)
    for batch in range(ROWS_PER_WRITER // 20):
        frame = pd.DataFrame({"writer": [writer] * 20, "n": range(batch * 20, batch * 20 + 20)})
        warehouse.write_df(
            frame, "scratch", "writes", column_types={"writer": "integer", "n": "integer"}
        )
    return writer


def test_two_processes_write_the_same_file_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.duckdb")
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        assert sorted(pool.starmap(_write_rows, [(path, 1), (path, 2)])) == [1, 2]
    counts = DuckDBWarehouse(path=path).query_df(
        "select writer, count(*) as n from scratch.writes group by 1 order by 1"
    )
    assert counts["n"].tolist() == [ROWS_PER_WRITER, ROWS_PER_WRITER]


def _hold_file(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process (a user's DuckDB shell) holds the file for ``seconds``."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(path)!r})
                con.execute("create table if not exists held (x int)")
                print("held", flush=True)
                time.sleep({seconds})
                con.close()
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_writer_waits_out_a_foreign_lock_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = _hold_file(path, 3)
    warehouse = DuckDBWarehouse(path=str(path))
    written = warehouse.write_df(pd.DataFrame({"x": [1, 2, 3]}), "main", "t2")
    assert holder.wait(timeout=30) == 0
    assert written == 3
    assert warehouse.query_df("select count(*) as n from main.t2")["n"].iloc[0] == 3


@pytest.mark.slow
def test_a_dbt_run_and_a_writer_at_once_both_succeed(tmp_path: Path, dbt_manifest: Path) -> None:
    from datetime import date

    from hindsight_pipeline_tests.support import build_dbt, generate_warehouse

    warehouse, _ = generate_warehouse(
        tmp_path / "wh.duckdb", date(2026, 11, 1), date(2026, 11, 2), deals_per_day=40
    )
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        writer = pool.apply_async(_write_rows, (warehouse.path, 7))
        build_dbt(warehouse)  # holds the file for the whole dbt run
        assert writer.get(timeout=300) == 7
    assert (
        warehouse.query_df("select count(*) as n from scratch.writes")["n"].iloc[0]
        == ROWS_PER_WRITER
    )
    assert (
        warehouse.query_df(
            "select count(*) as n from hindsight_prep.closed_lost_interview_candidates"
        )["n"].iloc[0]
        > 0
    )


@pytest.mark.slow
def test_a_dbt_run_waits_out_a_foreign_lock_on_the_file(tmp_path: Path, dbt_manifest: Path) -> None:
    from datetime import date

    from hindsight_pipeline_tests.support import build_dbt, generate_warehouse

    warehouse, _ = generate_warehouse(
        tmp_path / "wh.duckdb", date(2026, 11, 1), date(2026, 11, 1), deals_per_day=80
    )
    holder = _hold_file(warehouse.database_path, 30)
    instance = dg.DagsterInstance.ephemeral()
    result = build_dbt(warehouse, instance)  # meets the lock at connect, waits, builds
    assert holder.wait(timeout=30) == 0
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("held by another process" in message for message in logs)
    assert (
        warehouse.query_df("select count(*) as n from hindsight_prep.closed_lost_deals")["n"].iloc[
            0
        ]
        > 0
    )
