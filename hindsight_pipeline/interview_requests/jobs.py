"""The main job: the dbt models upstream of the send asset, the send, and what builds on it."""

import dagster as dg

from hindsight_pipeline.interview_requests.assets import INTERVIEW_REQUESTS_KEY
from hindsight_pipeline.interview_requests.partitions import closed_lost_daily_partitions

_send = dg.AssetSelection.assets(INTERVIEW_REQUESTS_KEY)

daily_interview_requests = dg.define_asset_job(
    name="daily_interview_requests",
    description=(
        "One closed-lost day: rebuild the dbt candidates, send that day's interview requests "
        "(and retry its pending_retry rows), then refresh the analysts' marts."
    ),
    selection=(_send.upstream() | _send.downstream()).materializable(),
    partitions_def=closed_lost_daily_partitions,
    tags={"hindsight/job": "daily"},
)

# Backfills over history select only the send asset: the dbt models are rebuilt once by the
# daily job, not once per backfilled day (they would queue on the DuckDB file).
interview_requests_backfill = dg.define_asset_job(
    name="interview_requests_backfill",
    description="The send asset alone, for backfills over many days (one run per day).",
    selection=_send,
    partitions_def=closed_lost_daily_partitions,
    tags={"hindsight/job": "backfill"},
)
