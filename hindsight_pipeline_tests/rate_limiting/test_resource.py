"""The Dagster resource end to end: an asset sends through it, bounded and logged."""

# No `from __future__ import annotations`: Dagster reads the asset's context annotation.

from pathlib import Path

import dagster as dg

from hindsight_pipeline.hindsight_api import AsyncHindsightClient, CreateInterviewRequest
from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.faults import FaultConfig, LatencyConfig
from hindsight_pipeline.local_server.harness import LocalHindsightServer
from hindsight_pipeline.rate_limiting import (
    HindsightRateLimiter,
    Priority,
    SendProgress,
    SharedRateLimiter,
    api_key_fingerprint,
    run_bounded,
)
from hindsight_pipeline_tests.rate_limiting.checks import per_window
from hindsight_pipeline_tests.rate_limiting.workers import SEQUENCE_ID


def test_an_asset_sends_through_the_resource_at_its_limit_with_progress_in_the_run_log(
    tmp_path: Path,
) -> None:
    config = ServerConfig(
        limit=60, window_seconds=2.0, faults=FaultConfig(latency=LatencyConfig(ms=20))
    )
    with LocalHindsightServer(config) as server:
        resource = HindsightRateLimiter(
            limit_per_window=20,
            window_seconds=2.0,
            share=0.5,  # 10 per window for us
            store_url=str(tmp_path / "store"),
            max_in_flight=4,
        )

        @dg.asset
        async def interview_requests(
            context: dg.AssetExecutionContext, rate_limiter: HindsightRateLimiter
        ) -> dg.MaterializeResult:
            context.log.info(rate_limiter.describe())
            limiter = rate_limiter.get_limiter(
                key_id=api_key_fingerprint(server.api_key), priority=Priority.NORMAL
            )
            assert isinstance(limiter, SharedRateLimiter)
            progress = SendProgress(12, context.log, label="interview requests", every_s=0.5)
            async with AsyncHindsightClient(
                server.base_url, server.api_key, limiter=limiter
            ) as client:

                async def send(i: int) -> None:
                    await client.create_interview(
                        CreateInterviewRequest(
                            contact_email=f"r{i}@example.com", sequence_id=SEQUENCE_ID
                        )
                    )
                    progress.advance()

                await run_bounded(range(12), send, rate_limiter.concurrency)
            return dg.MaterializeResult(metadata={"sent": progress.sent})

        instance = dg.DagsterInstance.ephemeral()
        result = dg.materialize(
            [interview_requests], resources={"rate_limiter": resource}, instance=instance
        )
        requests = server.api_requests("POST", "/api/v1/interviews")

    assert result.success
    assert len(requests) == 12 and all(r["status"] == 201 for r in requests)
    # The share held: at most 10 of the server's 60 per window.
    assert max(per_window((r["time"] for r in requests), 2.0).values()) <= 10
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("limit_per_window" not in m and "share 0.5 -> 10 per 2s" in m for m in messages)
    assert any(m.startswith("sent 12/12 interview requests (100%)") for m in messages)
    assert not any(server.api_key in m for m in messages)
