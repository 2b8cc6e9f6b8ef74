"""How long the demo CRM generator takes at scale, and the same data written to DuckDB.

python bench/demo_data_bench.py                      # 1M opportunities
python bench/demo_data_bench.py --opportunities 200000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from hindsight_pipeline.demo_data import DemoDataConfig, generate_crm
from hindsight_pipeline.demo_data.cli import write_crm
from hindsight_pipeline.warehouse import DuckDBWarehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    args = parser.parse_args()

    config = DemoDataConfig.for_opportunities(args.opportunities, end_date=date(2025, 6, 30))
    started = time.perf_counter()
    frames = generate_crm(config)
    generated = time.perf_counter() - started
    sizes = {name: len(frame) for name, frame in frames.tables().items()}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        write_crm(DuckDBWarehouse(path=str(Path(tmp) / "warehouse.duckdb")), frames)
        written = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"opportunities        {args.opportunities:>12,}")
    for name, rows in sizes.items():
        print(f"  {name:<30} {rows:>10,} rows")
    print(f"generate             {generated:>10.1f} s")
    print(f"write to DuckDB      {written:>10.1f} s")
    print(f"peak RSS             {peak_mb:>10,.0f} MB")


if __name__ == "__main__":
    main()
