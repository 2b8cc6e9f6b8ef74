"""Fill the warehouse's ``crm`` schema with demo data: ``hindsight-demo-data --help``."""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path

from hindsight_pipeline.demo_data.generator import (
    CrmFrames,
    DemoDataConfig,
    crm_table_ddl,
    generate_crm,
    hindsight_deals,
)
from hindsight_pipeline.paths import data_dir
from hindsight_pipeline.warehouse import Warehouse, warehouse_from_env

CRM_SCHEMA = "crm"


def default_deals_file() -> Path:
    return data_dir() / "hindsight_deals.json"


def write_crm(warehouse: Warehouse, frames: CrmFrames, schema: str = CRM_SCHEMA) -> dict[str, int]:
    """Replace the CRM tables with ``frames``; returns rows written per table."""
    ddl = crm_table_ddl()
    return {
        table: warehouse.write_df(
            getattr(frames, table), schema, table, mode="replace", column_types=ddl[table]
        )
        for table in ddl
    }


def write_deals_file(frames: CrmFrames, path: Path) -> int:
    """The deals a local Hindsight server should know (those with a valid hindsight_deal_id)."""
    deals = hindsight_deals(frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(deals, default=str))
    return len(deals)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    yesterday = date.today() - timedelta(days=1)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", type=date.fromisoformat, default=yesterday - timedelta(days=13))
    parser.add_argument("--end", type=date.fromisoformat, default=yesterday)
    parser.add_argument("--deals-per-day", type=int, default=300)
    parser.add_argument(
        "--opportunities", type=int, default=None, help="total opportunities (overrides per day)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--deals-file", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.opportunities:
        config = DemoDataConfig.for_opportunities(
            args.opportunities, end_date=args.end, seed=args.seed
        )
    else:
        config = DemoDataConfig(
            start_date=args.start,
            end_date=args.end,
            deals_per_day=args.deals_per_day,
            seed=args.seed,
        )
    started = time.perf_counter()
    frames = generate_crm(config)
    generated = time.perf_counter()
    counts = write_crm(warehouse_from_env(), frames)
    deals = write_deals_file(frames, args.deals_file or default_deals_file())
    written = time.perf_counter()
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(
        f"CRM demo data {config.start_date}..{config.end_date}: {summary}; "
        f"{deals:,} Hindsight deals; generated in {generated - started:.1f}s, "
        f"written in {written - generated:.1f}s"
    )


if __name__ == "__main__":
    main()
