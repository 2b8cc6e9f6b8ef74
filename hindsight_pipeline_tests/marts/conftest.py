"""Three closed-lost days sent to the local Hindsight server over loopback HTTP, and the marts
built on them, once for the whole package; the tests only read what it left.

The days are relative to today, so the analysts' questions ("in the last 30 days") find them:
- day 1: the real ``daily_interview_requests`` job (dbt models, the send, the marts); a
  normal day, every eligible request sent;
- day 2: the send asset alone (as the schedule's lookback runs do); the server answers one
  contact 504 (unconfirmed) and another 500 every time (pending_retry after the client's
  bounded retries);
- day 3: the job again, routed to a sequence Hindsight does not know: every eligible request
  failed (bad_request). Its marts step sees all three days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from hindsight_pipeline.dbt.assets import (
    crm_source_specs,
    hindsight_dbt_marts,
    hindsight_dbt_models,
)
from hindsight_pipeline.demo_data import hindsight_deals
from hindsight_pipeline.interview_requests.assets import interview_requests
from hindsight_pipeline.interview_requests.checks import interview_request_checks
from hindsight_pipeline.interview_requests.jobs import daily_interview_requests
from hindsight_pipeline.interview_requests.resources import HindsightApi
from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.harness import LocalHindsightServer
from hindsight_pipeline_tests.interview_requests.conftest import SendEnv
from hindsight_pipeline_tests.support import dbt_resource, generate_warehouse

TODAY = datetime.now(UTC).date()
DAYS = [TODAY - timedelta(days=back) for back in (4, 3, 2)]
UNKNOWN_SEQUENCE_ID = "seq_retired_last_quarter"


@dataclass
class MartsRun:
    env: SendEnv
    days: list[date]
    runs: dict[date, dg.ExecuteInJobResult] = field(default_factory=dict)
    faulted: dict[str, str] = field(default_factory=dict)  # email -> fault of day 2

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.env.warehouse.query_df(sql, params)

    def scalar(self, sql: str, params: list | None = None) -> object:
        return self.query(sql, params).iloc[0, 0]


def run_daily_job(
    env: SendEnv, day: date, instance: dg.DagsterInstance, **overrides: object
) -> dg.ExecuteInJobResult:
    """The code location's ``daily_interview_requests`` job, with the test's resources."""
    defs = dg.Definitions(
        assets=[*crm_source_specs, hindsight_dbt_models, hindsight_dbt_marts, interview_requests],
        asset_checks=interview_request_checks,
        jobs=[daily_interview_requests],
        resources={**env.resources(**overrides), "dbt": dbt_resource()},
    )
    job = defs.resolve_job_def(daily_interview_requests.name)
    return job.execute_in_process(partition_key=day.isoformat(), instance=instance)


def _clean_emails(env: SendEnv, day: date, count: int) -> list[str]:
    rows = env.warehouse.query_df(
        "select lower(trim(contact_email)) as email "
        "from hindsight_prep.closed_lost_interview_candidates "
        "where closed_lost_date = ? and exclusion_reason is null "
        "and contact_email like '%@%.%' and contact_email not like '% %' order by opportunity_id",
        [day],
    )
    return rows["email"].drop_duplicates().tolist()[3 : 3 + count]


@pytest.fixture(scope="package")
def marts_run(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Iterator[MartsRun]:
    tmp = tmp_path_factory.mktemp("marts")
    warehouse, frames = generate_warehouse(
        tmp / "warehouse.duckdb", DAYS[0], DAYS[-1], deals_per_day=60
    )
    config = ServerConfig(limit=1000, window_seconds=1.0, deals=hindsight_deals(frames))
    instance = dg.DagsterInstance.ephemeral()
    with LocalHindsightServer(config) as server:
        env = SendEnv(warehouse, frames, server, tmp)
        run = MartsRun(env, DAYS)
        run.runs[DAYS[0]] = run_daily_job(env, DAYS[0], instance)
        # The day-1 run built the candidates of every day: fault two of day 2's contacts.
        unconfirmed, pending = _clean_emails(env, DAYS[1], 2)
        run.faulted = {unconfirmed: "504", pending: "500"}
        server.set_faults(by_email=run.faulted)
        run.runs[DAYS[1]] = env.materialize(DAYS[1].isoformat(), instance=instance)
        server.set_faults()
        misrouted = HindsightApi(
            api_key=server.api_key, base_url=server.base_url, sequence_id=UNKNOWN_SEQUENCE_ID
        )
        run.runs[DAYS[2]] = run_daily_job(env, DAYS[2], instance, hindsight=misrouted)
        yield run
