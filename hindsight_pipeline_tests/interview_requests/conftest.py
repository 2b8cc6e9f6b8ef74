"""A built demo warehouse copied per test, a local Hindsight server, and the send asset's
resources pointed at both."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from hindsight_pipeline.demo_data import CrmFrames, hindsight_deals
from hindsight_pipeline.interview_requests.assets import interview_requests
from hindsight_pipeline.interview_requests.checks import interview_request_checks
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.harness import LocalHindsightServer
from hindsight_pipeline.rate_limiting import HindsightRateLimiter
from hindsight_pipeline.warehouse import DuckDBWarehouse
from hindsight_pipeline_tests.support import build_dbt, generate_warehouse

START, END = date(2026, 11, 1), date(2026, 11, 3)
SCENARIO_DAY = "2026-11-02"  # the generator puts its hand-built dirt on the second day
SEQUENCE_ID = "seq_winloss_default"


@pytest.fixture(scope="session")
def built_send_warehouse(
    tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path
) -> tuple[Path, CrmFrames]:
    path = tmp_path_factory.mktemp("send_template") / "warehouse.duckdb"
    warehouse, frames = generate_warehouse(path, START, END, deals_per_day=80)
    build_dbt(warehouse)
    return path, frames


@dataclass
class SendEnv:
    warehouse: DuckDBWarehouse
    frames: CrmFrames
    server: LocalHindsightServer
    tmp: Path
    limit_per_window: int = 1000
    window_seconds: float = 1.0
    policy: SendPolicy | None = None

    def resources(self, **overrides: object) -> dict[str, object]:
        resources: dict[str, object] = {
            "warehouse": self.warehouse,
            "hindsight": HindsightApi(
                api_key=self.server.api_key, base_url=self.server.base_url, sequence_id=SEQUENCE_ID
            ),
            "rate_limiter": HindsightRateLimiter(
                limit_per_window=self.limit_per_window,
                window_seconds=self.window_seconds,
                store_url=str(self.tmp / "limiter"),
                max_in_flight=8,
            ),
            "send_policy": self.policy or SendPolicy(claim_batch_size=16),
        }
        resources.update(overrides)
        return resources

    def materialize(
        self,
        partition: str = SCENARIO_DAY,
        *,
        run_config: dict | None = None,
        instance: dg.DagsterInstance | None = None,
        raise_on_error: bool = True,
        **overrides: object,
    ) -> dg.ExecuteInJobResult:
        return dg.materialize(
            [interview_requests, *interview_request_checks],
            partition_key=partition,
            resources=self.resources(**overrides),
            run_config=run_config,
            instance=instance,
            raise_on_error=raise_on_error,
        )

    def spawn(self, partition: str = SCENARIO_DAY, **spec: object) -> subprocess.Popen[bytes]:
        """The same materialization in a process of its own."""
        full = {
            "partition": partition,
            "warehouse": str(self.warehouse.database_path),
            "api_key": self.server.api_key,
            "base_url": self.server.base_url,
            "sequence_id": SEQUENCE_ID,
            "limiter_store": str(self.tmp / "limiter"),
            **spec,
        }
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hindsight_pipeline_tests.interview_requests.run_partition",
                json.dumps(full),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def table(self, where: str = "true") -> object:
        return self.warehouse.query_df(f"select * from hindsight.interview_requests where {where}")

    def posts(self) -> list[dict]:
        return self.server.api_requests("POST", "/api/v1/interviews")


@pytest.fixture
def send_env(built_send_warehouse: tuple[Path, CrmFrames], tmp_path: Path) -> Iterator[SendEnv]:
    template, frames = built_send_warehouse
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(template, path)
    config = ServerConfig(limit=1000, window_seconds=1.0, deals=hindsight_deals(frames))
    with LocalHindsightServer(config) as server:
        yield SendEnv(DuckDBWarehouse(path=str(path)), frames, server, tmp_path)
