"""Several processes on one DuckDB file: writers and a dbt run wait for each other, none fails."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
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


def _write_rows_timed(path: str, writer: int) -> dict[str, float]:
    """_write_rows, reporting when it started and when each batch was committed."""
    times = {"started": time.time()}
    warehouse = DuckDBWarehouse(path=path)
    commits = []
    for batch in range(ROWS_PER_WRITER // 20):
        frame = pd.DataFrame({"writer": [writer] * 20, "n": range(batch * 20, batch * 20 + 20)})
        warehouse.write_df(
            frame, "scratch", "writes", column_types={"writer": "integer", "n": "integer"}
        )
        commits.append(time.time())
    return {**times, "first_commit": commits[0], "last_commit": commits[-1]}


def _warm_up() -> int:
    """Run in a pool worker first, so it has imported this module before the timed write."""
    return os.getpid()


def _dbt_processes_holding(database: Path) -> set[int]:
    """Processes that have the DuckDB file itself open and are dbt (Linux /proc)."""
    target = str(database.resolve())
    holders: set[int] = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == target for fd in fd_dir.iterdir()):
                cmdline = (fd_dir.parent / "cmdline").read_bytes()
                if b"dbt" in cmdline:
                    holders.add(int(fd_dir.parent.name))
        except OSError:  # gone, or not ours
            continue
    return holders


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return time.time()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
def test_a_dbt_run_and_a_writer_at_once_both_succeed(tmp_path: Path, dbt_manifest: Path) -> None:
    """The writer starts only once the dbt process holds the file, is running while dbt
    holds it, waits it out (our file lock queues it behind the dbt run) and commits after."""
    from datetime import date

    from hindsight_pipeline_tests.support import build_dbt, generate_warehouse

    warehouse, _ = generate_warehouse(
        tmp_path / "wh.duckdb", date(2026, 11, 1), date(2026, 11, 2), deals_per_day=40
    )
    database = warehouse.database_path
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        # A warm worker (this module imported): the write starts at once when asked, inside
        # dbt's hold of the file, which lasts only while dbt builds (a couple of seconds).
        pool.apply(_warm_up)
        dbt_done: dict[str, object] = {}

        def run_dbt() -> None:
            dbt_done["result"] = build_dbt(warehouse)  # asserts success

        dbt_thread = threading.Thread(target=run_dbt)
        dbt_thread.start()
        try:
            _wait_for(lambda: bool(_dbt_processes_holding(database)), 180, "dbt to hold the file")
            holders = _dbt_processes_holding(database)
            writer = pool.apply_async(_write_rows_timed, (warehouse.path, 7))
            released_at = _wait_for(
                lambda: not (_dbt_processes_holding(database) & holders), 300, "dbt to release"
            )
            times = writer.get(timeout=300)
        finally:
            dbt_thread.join(timeout=300)
    assert "result" in dbt_done  # the dbt run succeeded
    # The writer was running while dbt held the file, and wrote once dbt let go of it.
    assert times["started"] < released_at
    assert times["first_commit"] > released_at - 0.25  # the poll's resolution
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
