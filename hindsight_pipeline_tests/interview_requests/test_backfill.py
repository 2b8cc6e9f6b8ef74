"""A backfill from the CLI through a real Dagster instance: the project's dagster.yaml (run
queue, tag limits, pools), `dagster job backfill`, and the daemon launching one run per
partition, several at once, each sending its day against the local Hindsight server."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from hindsight_pipeline.demo_data import CrmFrames, hindsight_deals
from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.harness import LocalHindsightServer
from hindsight_pipeline.paths import PROJECT_ROOT
from hindsight_pipeline.warehouse import DuckDBWarehouse
from hindsight_pipeline_tests.interview_requests.conftest import SEQUENCE_ID

PARTITIONS = ["2026-11-01", "2026-11-02", "2026-11-03"]
DEADLINE_S = 300


def _dagster_cli(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _overlapping(intervals: list[tuple[float, float]]) -> bool:
    ordered = sorted(intervals)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


@pytest.mark.slow
def test_a_backfill_runs_one_run_per_day_concurrently_and_sends_each_request_once(
    built_send_warehouse: tuple[Path, CrmFrames], tmp_path: Path
) -> None:
    template, frames = built_send_warehouse
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(template, database)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")

    config = ServerConfig(limit=1000, window_seconds=1.0, deals=hindsight_deals(frames))
    with LocalHindsightServer(config) as server:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "DUCKDB_PATH": str(database),
            "HINDSIGHT_API_KEY": server.api_key,
            "HINDSIGHT_API_URL": server.base_url,
            "HINDSIGHT_SEQUENCE_ID": SEQUENCE_ID,
            "HINDSIGHT_PLAN": "enterprise",
            "HINDSIGHT_RATE_LIMIT_STORE": str(tmp_path / "limiter"),
        }
        location = ["-m", "hindsight_pipeline.definitions"]
        # Run from a folder without the project's .env: Dagster loads a .env from the working
        # directory over the environment, and the demo's points at its own local server.
        workdir = tmp_path / "cwd"
        workdir.mkdir()
        subprocess.run(
            [_dagster_cli("dagster"), "job", "backfill", *location,
             "-j", "interview_requests_backfill", "--partitions", ",".join(PARTITIONS), "--noprompt"],
            env=env, cwd=workdir, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        daemon = subprocess.Popen(
            [_dagster_cli("dagster-daemon"), "run", *location],
            env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            instance = dg.DagsterInstance.from_config(str(home))
            backfill = instance.get_backfills()[0]
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline:
                backfill = instance.get_backfill(backfill.backfill_id)
                records = instance.get_run_records(
                    dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id})
                )
                done = [r for r in records if r.dagster_run.is_finished]
                if len(done) == len(PARTITIONS):
                    break
                time.sleep(1)
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)

        assert len(records) == len(PARTITIONS), "one run per partition"
        assert sorted(r.dagster_run.tags["dagster/partition"] for r in records) == PARTITIONS
        assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
        assert all(r.dagster_run.job_name == "interview_requests_backfill" for r in records)
        intervals = [(r.start_time or 0.0, r.end_time or 0.0) for r in records]
        assert _overlapping(intervals), f"the runs did not overlap: {intervals}"

        posts = server.api_requests("POST", "/api/v1/interviews")
        accepted = server.interviews()

    rows = DuckDBWarehouse(path=str(database)).query_df(
        "select * from hindsight.interview_requests"
    )
    assert set(rows["status"]) <= {"sent", "skipped"}, (
        rows.groupby(["status", "error_code", "error_message"], dropna=False).size().to_string()
    )
    sent = rows[rows["status"] == "sent"]
    for day in PARTITIONS:
        # (fewer on later days: contacts shared with earlier days are in their cool-down)
        assert (sent["closed_lost_date"].astype(str) == day).sum() > 0, f"nothing sent for {day}"
    posted = [p["body"]["contact_email"] for p in posts if p["status"] == 201]
    assert len(posted) == len(set(posted)) == len(sent), "each request was accepted exactly once"
    # The only other answers: a stale deal_id's 400, after which the request went out without it.
    resent = [p for p in posts if p["status"] != 201]
    assert all(p["status"] == 400 and "deal_id" in p["body"] for p in resent)
    assert {p["body"]["contact_email"] for p in resent} <= set(posted)
    assert set(posted) == set(sent["contact_email"])
    assert set(sent["interview_request_id"]) == {i["interview_request_id"] for i in accepted}
    # Skipped rows carry their reason; no candidate of the three days is missing a row.
    assert rows[rows["status"] == "skipped"]["error_code"].notna().all()
    candidates = DuckDBWarehouse(path=str(database)).query_df(
        "select count(*) as n from hindsight_prep.closed_lost_interview_candidates "
        "where closed_lost_date between ? and ?",
        [PARTITIONS[0], PARTITIONS[-1]],
    )
    assert len(rows) == candidates["n"][0]
