"""Materialize one partition of the send asset in its own process (for concurrency and
crash tests): ``python -m hindsight_pipeline_tests.interview_requests.run_partition JSON``."""

from __future__ import annotations

import json
import sys

import dagster as dg

from hindsight_pipeline.interview_requests.assets import interview_requests
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline.rate_limiting import HindsightRateLimiter
from hindsight_pipeline.warehouse import DuckDBWarehouse


def main(spec: dict) -> int:
    result = dg.materialize(
        [interview_requests],
        partition_key=spec["partition"],
        resources={
            "warehouse": DuckDBWarehouse(path=spec["warehouse"]),
            "hindsight": HindsightApi(
                api_key=spec["api_key"], base_url=spec["base_url"], sequence_id=spec["sequence_id"]
            ),
            "rate_limiter": HindsightRateLimiter(
                limit_per_window=spec.get("limit", 1000),
                window_seconds=spec.get("window_seconds", 1.0),
                store_url=spec["limiter_store"],
                max_in_flight=spec.get("max_in_flight", 8),
            ),
            "send_policy": SendPolicy(claim_batch_size=spec.get("claim_batch_size", 16)),
        },
        raise_on_error=False,
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
