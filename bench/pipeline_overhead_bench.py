"""The pipeline's own overhead: one partition of ~100k candidates, sent through Dagster.

The local Hindsight server runs in its own process with no latency and a limit far above
what we can send, so every second measured is the pipeline's: reading the candidates,
rules and payloads, ledger writes (claims, skips, results in batches), and the whole run.
Demo CRM data for one day is generated and the dbt models are built first (not measured
as overhead; their time is printed too).

    python bench/pipeline_overhead_bench.py                 # 100k candidates, a few minutes
    python bench/pipeline_overhead_bench.py --candidates 20000 --claim-batch 64
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from hindsight_pipeline.dbt.assets import hindsight_dbt_models
from hindsight_pipeline.dbt.prepare import prepare as prepare_manifest
from hindsight_pipeline.dbt.project import dbt_project
from hindsight_pipeline.demo_data import DemoDataConfig, generate_crm
from hindsight_pipeline.demo_data.cli import write_crm, write_deals_file
from hindsight_pipeline.interview_requests.assets import interview_requests
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline.local_server.config import DEFAULT_API_KEY
from hindsight_pipeline.local_server.harness import start_server_process
from hindsight_pipeline.rate_limiting import HindsightRateLimiter
from hindsight_pipeline.warehouse import DuckDBWarehouse

# About 90 % of generated closed-lost deals have a primary contact with a role.
DEALS_PER_CANDIDATE = 1.12
TARGET_PER_MINUTE = 1000


def build_warehouse(
    path: Path, day: str, candidates: int
) -> tuple[DuckDBWarehouse, float, float, Path]:
    started = time.perf_counter()
    the_day = datetime.fromisoformat(day).date()
    config = DemoDataConfig(
        start_date=the_day,
        end_date=the_day,
        deals_per_day=int(candidates * DEALS_PER_CANDIDATE),
        closed_lost_share=1.0,
        closed_won_share=0.0,
        include_scenarios=False,
        deals_per_account=1.0,  # few contacts on several deals: most candidates are sent
    )
    frames = generate_crm(config)
    warehouse = DuckDBWarehouse(path=str(path))
    write_crm(warehouse, frames)
    deals_file = path.parent / "deals.json"
    write_deals_file(frames, deals_file)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    built = dg.materialize(
        [hindsight_dbt_models],
        resources={"dbt": DbtCliResource(project_dir=dbt_project), "warehouse": warehouse},
    )
    assert built.success
    return warehouse, generated, time.perf_counter() - started, deals_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--candidates", type=int, default=100_000, help="about this many (default 100k)"
    )
    parser.add_argument("--claim-batch", type=int, default=None, help="SendPolicy.claim_batch_size")
    parser.add_argument("--in-flight", type=int, default=16, help="requests in flight (default 16)")
    args = parser.parse_args(argv)

    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    prepare_manifest()
    with tempfile.TemporaryDirectory(prefix="overhead_bench_") as scratch:
        path = Path(scratch) / "warehouse.duckdb"
        warehouse, generated_s, dbt_s, deals_file = build_warehouse(path, day, args.candidates)
        # A limit that never binds, in 1 s windows: the limiter's sliding log then holds about
        # as many grants as at a real plan's limit (a 60 s window of 100M would grow it to
        # every grant of the minute and measure an artifact of the bench, not the pipeline).
        process, base_url = start_server_process(
            ["--limit", "100000", "--window-seconds", "1", "--deals-file", str(deals_file)]
        )
        try:
            policy = SendPolicy(max_in_flight=args.in_flight)
            if args.claim_batch:
                policy = SendPolicy(max_in_flight=args.in_flight, claim_batch_size=args.claim_batch)
            started = time.perf_counter()
            result = dg.materialize(
                [interview_requests],
                partition_key=day,
                resources={
                    "warehouse": warehouse,
                    "hindsight": HindsightApi(
                        api_key=DEFAULT_API_KEY,
                        base_url=base_url,
                        sequence_id="seq_winloss_default",
                    ),
                    "rate_limiter": HindsightRateLimiter(
                        limit_per_window=100_000,
                        window_seconds=1,
                        store_url=str(Path(scratch) / "limiter"),
                    ),
                    "send_policy": policy,
                },
            )
            whole_s = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=10)
        metadata = {
            key: value.value
            for key, value in result.asset_materializations_for_node(
                "hindsight__interview_requests"
            )[0].metadata.items()
        }
        sent = int(metadata["requests_sent"])
        rows = warehouse.query_df(
            "select status, count(*) as n from hindsight.interview_requests group by 1 order by 1"
        )

    print(f"partition {day}: {metadata['candidates']:,} candidates, {sent:,} requests sent")
    print(f"  (setup, not overhead: demo data {generated_s:.1f} s, dbt build {dbt_s:.1f} s)")
    print("  rows by status: " + ", ".join(f"{r.status} {r.n:,}" for r in rows.itertuples()))
    print(
        f"  claim batch {policy.claim_batch_size}, {args.in_flight} in flight, no latency, limit not binding"
    )
    print()
    print(f"{'phase':<40}{'seconds':>10}{'per 1k rows':>14}")
    per_k = 1000 / max(1, int(metadata["candidates"]))
    phases = [
        ("reading candidates and the ledger", float(metadata["read_seconds"])),
        ("rules and payload building", float(metadata["prepare_seconds"])),
        ("ledger writes (skips, claims, results)", float(metadata["ledger_write_seconds"])),
        ("sending (claims + HTTP + results)", float(metadata["send_seconds"])),
        ("whole run (dagster materialize)", whole_s),
    ]
    for name, seconds in phases:
        print(f"{name:<40}{seconds:>10.2f}{seconds * per_k:>14.3f}")
    per_minute = sent / (float(metadata["send_seconds"]) / 60) if sent else 0.0
    whole_per_minute = sent / (whole_s / 60) if sent else 0.0
    print()
    print(
        f"send phase: {per_minute:,.0f} requests/min; whole run: {whole_per_minute:,.0f} requests/min"
    )
    print(
        f"headroom over the enterprise limit ({TARGET_PER_MINUTE:,}/min): "
        f"{whole_per_minute / TARGET_PER_MINUTE:.1f}x for the whole run"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
