"""The send asset's partitions: one per UTC closed-lost date."""

import os

import dagster as dg

# HINDSIGHT_START_DATE: the first closed-lost date a backfill may reach back to.
DEFAULT_START_DATE = "2025-01-01"

closed_lost_daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("HINDSIGHT_START_DATE", DEFAULT_START_DATE),
    timezone="UTC",
)
