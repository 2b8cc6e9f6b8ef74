"""``python -m hindsight_pipeline.demo``: the README's first command, after setup.

Writes the demo ``.env`` (local Hindsight server) if there is none, fills the embedded
DuckDB warehouse with demo CRM data, starts the local Hindsight server, runs the main job
``daily_interview_requests`` for yesterday's closed-lost deals with ``dagster job execute``,
and prints a summary of the results table beside what the server received.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import httpx

from hindsight_pipeline.demo.env_file import LOCAL_PORT, ensure_env_file, points_at_local_server
from hindsight_pipeline.demo_data.cli import default_deals_file
from hindsight_pipeline.interview_requests.schema import warehouse_now
from hindsight_pipeline.paths import PROJECT_ROOT

DAGSTER_HOME = PROJECT_ROOT / "dagster_home"
JOB = "daily_interview_requests"


def start_local_server(plan: str) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "hindsight_pipeline.local_server",
        "--port", str(LOCAL_PORT), "--plan", plan, "--deals-file", str(default_deals_file()),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints its URL once it serves
    if not line.startswith("HINDSIGHT_LOCAL_SERVER_URL="):
        process.kill()
        raise SystemExit(f"the local Hindsight server did not start (port {LOCAL_PORT} taken?)")
    return process


def server_log(admin: str) -> list[dict]:
    return httpx.get(f"{admin}/requests", timeout=30).json()


def run_job(day: date, env: dict[str, str]) -> int:
    command = [
        os.path.join(os.path.dirname(sys.executable), "dagster"), "job", "execute",
        "-m", "hindsight_pipeline.definitions", "-j", JOB,
        "--tags", json.dumps({"dagster/partition": day.isoformat()}),
    ]  # fmt: skip
    return subprocess.run(command, env=env, cwd=PROJECT_ROOT).returncode


def summary(day: date, posts: list[dict], since: datetime) -> tuple[str, bool]:
    """The results table's counts for ``day`` beside what the server received; and whether
    the two agree: every interview the server accepted in this run is in the table as
    sent/created with its id, and no other row was accepted in this run."""
    from hindsight_pipeline.interview_requests.metadata import markdown_table
    from hindsight_pipeline.interview_requests.schema import ACCEPTED_STATUSES, RESULTS_TABLE
    from hindsight_pipeline.warehouse import warehouse_from_env

    warehouse = warehouse_from_env()
    counts = warehouse.query_df(
        "select status, coalesce(error_code, '') as reason, count(*) as rows "
        f"from {RESULTS_TABLE} where closed_lost_date = ? group by 1, 2 order by 1, 2",
        [day],
    )
    accepted_here = warehouse.query_df(
        f"select interview_request_id from {RESULTS_TABLE} "
        "where status in (?, ?) and last_attempted_at >= ?",
        [*(status.value for status in ACCEPTED_STATUSES), since],
    )
    table_ids = sorted(int(i) for i in accepted_here["interview_request_id"])
    server_ids = sorted(int(p["interview_request_id"]) for p in posts if p.get("status") == 201)
    agree = table_ids == server_ids
    lines = [
        f"\nResults for closed-lost date {day} ({RESULTS_TABLE}):",
        markdown_table(counts),
        "",
        f"Local Hindsight server: {len(posts)} POST /interviews received in this run, "
        f"{len(server_ids)} accepted (201).",
        f"Results table: {len(table_ids)} rows recorded sent/created in this run "
        f"({'the same interview ids: they agree' if agree else 'MISMATCH with the server log'}).",
    ]
    return "\n".join(lines), agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--day", type=date.fromisoformat, default=None, help="default: yesterday")
    parser.add_argument("--deals-per-day", type=int, default=300)
    args = parser.parse_args(argv)
    day = args.day or datetime.now(UTC).date() - timedelta(days=1)

    env = {**ensure_env_file(), **os.environ}
    env.setdefault("DAGSTER_HOME", str(DAGSTER_HOME))
    os.environ.update(env)
    if not points_at_local_server(env):
        raise SystemExit("The demo only runs against the local Hindsight server: check .env")

    from hindsight_pipeline.demo_data.cli import main as generate

    generate(["--end", day.isoformat(), "--deals-per-day", str(args.deals_per_day)])
    server = start_local_server(env.get("HINDSIGHT_PLAN", "enterprise"))
    admin = f"http://127.0.0.1:{LOCAL_PORT}/_admin"
    try:
        started, since = time.monotonic(), warehouse_now()
        code = run_job(day, env)
        posts = [r for r in server_log(admin) if r["method"] == "POST"]
        text, agree = summary(day, posts, since)
        print(text)
        code = code or (0 if agree else 1)
        print(f"\nJob {JOB} for {day}: {'succeeded' if code == 0 else 'FAILED'} "
              f"in {time.monotonic() - started:.0f}s. Browse it: make dev")  # fmt: skip
        return code
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
