"""The daily schedule: yesterday's deals, a lookback for late ones, and a retry sweep.

Each tick asks for, each as a whole run of ``daily_interview_requests`` (dbt models, the
send, the marts):
- yesterday's partition;
- the ``lookback_days`` days before it: a deal that reached the warehouse a few days late is
  sent on the next tick, once (settled rows are never resent);
- every older day that still has ``pending_retry`` rows, whatever its age.
Every run rebuilds the candidates before it sends and the marts after, so no run of a tick
reads candidates older than the tick, and the marts end the tick current. Run keys name the
partition and the tick, so they are unique across ticks and a re-evaluated tick asks for
nothing twice. Scheduled runs carry a higher queue priority than backfills.
"""

import os
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from hindsight_pipeline.interview_requests.jobs import daily_interview_requests
from hindsight_pipeline.interview_requests.partitions import closed_lost_daily_partitions
from hindsight_pipeline.interview_requests.schema import RESULTS_TABLE, Status
from hindsight_pipeline.warehouse import Warehouse

SCHEDULE_HOUR_UTC = int(os.environ.get("HINDSIGHT_SCHEDULE_HOUR_UTC", "6"))
LOOKBACK_DAYS = int(os.environ.get("HINDSIGHT_LOOKBACK_DAYS", "3"))
SCHEDULED_PRIORITY = "10"  # dagster/priority: ahead of backfill runs (0) in the run queue


def days_with_pending_retries(warehouse: Warehouse, before: date) -> list[date]:
    if not warehouse.table_exists(*RESULTS_TABLE.split(".")):
        return []
    found = warehouse.query_df(
        f"select distinct closed_lost_date from {RESULTS_TABLE} "
        "where status = ? and closed_lost_date < ? order by 1",
        [Status.PENDING_RETRY.value, before],
    )
    return [pd.Timestamp(value).date() for value in found["closed_lost_date"]]


def tick_run_requests(
    tick_day: date, lookback_days: int, retry_days: list[date], first_day: date
) -> list[dg.RunRequest]:
    """The runs one tick asks for (pure, so a test can read it)."""
    yesterday = tick_day - timedelta(days=1)
    lookback = [yesterday - timedelta(days=n) for n in range(1, lookback_days + 1)]
    sweep = sorted({d for d in retry_days if d < yesterday - timedelta(days=lookback_days)})
    tags = {"dagster/priority": SCHEDULED_PRIORITY, "hindsight/tick": tick_day.isoformat()}
    days = [
        (yesterday, "daily"),
        *((day, "lookback") for day in lookback),
        *((day, "retry_sweep") for day in sweep),
    ]
    return [
        dg.RunRequest(
            run_key=f"{day}@{tick_day}",
            partition_key=day.isoformat(),
            tags={**tags, "hindsight/reason": reason},
        )
        for day, reason in days
        if day >= first_day
    ]


@dg.schedule(
    name="daily_interview_requests_schedule",
    cron_schedule=f"0 {SCHEDULE_HOUR_UTC} * * *",
    execution_timezone="UTC",
    job=daily_interview_requests,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day: yesterday's closed-lost deals, late ones, and pending retries.",
)
def daily_interview_requests_schedule(
    context: dg.ScheduleEvaluationContext, warehouse: Warehouse
) -> list[dg.RunRequest]:
    tick_day = context.scheduled_execution_time.date()
    yesterday = tick_day - timedelta(days=1)
    retry_days = days_with_pending_retries(warehouse, before=yesterday)
    first_day = closed_lost_daily_partitions.start.date()
    return tick_run_requests(tick_day, LOOKBACK_DAYS, retry_days, first_day)
