"""``hindsight/interview_requests``: one closed-lost day's interview requests, sent and recorded."""

from datetime import UTC, date, datetime

import dagster as dg
from dagster import AssetExecutionContext
from pydantic import Field

from hindsight_pipeline.interview_requests.controls import ensure_controls_table, sends_paused
from hindsight_pipeline.interview_requests.dry_run import write_preview
from hindsight_pipeline.interview_requests.ledger import Ledger, ensure_ledger_tables
from hindsight_pipeline.interview_requests.metadata import report_metadata
from hindsight_pipeline.interview_requests.partition_run import (
    CANDIDATES_TABLE,
    prepare,
    send_prepared,
)
from hindsight_pipeline.interview_requests.partitions import closed_lost_daily_partitions
from hindsight_pipeline.interview_requests.payloads import load_templates
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline.interview_requests.rules import SkipReason
from hindsight_pipeline.interview_requests.sending import SendSettings
from hindsight_pipeline.rate_limiting import HindsightRateLimiter, Priority, SendProgress
from hindsight_pipeline.warehouse import Warehouse

INTERVIEW_REQUESTS_KEY = dg.AssetKey(["hindsight", "interview_requests"])
CANDIDATES_KEY = dg.AssetKey(CANDIDATES_TABLE.split("."))
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class InterviewRequestsConfig(dg.Config):
    dry_run: bool = Field(
        default=False,
        description="Write the payloads to hindsight.interview_request_previews; send nothing.",
    )
    max_sends: int | None = Field(default=None, description="Cap on requests for this run.")


@dg.asset(
    key=INTERVIEW_REQUESTS_KEY,
    deps=[CANDIDATES_KEY],
    partitions_def=closed_lost_daily_partitions,
    pool="hindsight_api",
    group_name="hindsight",
    kinds={"python", "duckdb", "snowflake"},
    description=(
        "Interview requests for the deals that became closed-lost on the partition's UTC date: "
        "one row per deal x primary contact in hindsight.interview_requests."
    ),
)
def interview_requests(
    context: AssetExecutionContext,
    config: InterviewRequestsConfig,
    warehouse: Warehouse,
    hindsight: HindsightApi,
    rate_limiter: HindsightRateLimiter,
    send_policy: SendPolicy,
) -> dg.MaterializeResult:
    """Read the day's candidates, apply the rules, and send each eligible request once.

    Idempotent: re-materializing the day (or a retry, or two runs at once) sends only what
    was never sent. Requests are claimed in the table just before they go out; a crash
    leaves at most one claim batch ``unconfirmed`` for a person to resolve, never resent.
    """
    day = date.fromisoformat(context.partition_key)
    ensure_ledger_tables(warehouse)
    ensure_controls_table(warehouse)
    ledger = Ledger(warehouse, context.run_id, cooldown_days=send_policy.contact_cooldown_days)
    recovered = ledger.recover_lost_claims(lambda run_id: _run_finished(context, run_id))
    if recovered:
        context.log.warning(f"{recovered} claims of runs that are gone are now unconfirmed")

    report, prepared = prepare(
        warehouse,
        ledger,
        day,
        routing=hindsight.routing,
        templates=load_templates(),
        today=datetime.now(UTC).date(),
        max_deal_age_days=send_policy.max_deal_age_days,
    )
    report.recovered_unconfirmed = recovered
    limit = rate_limiter.effective_limit_per_minute
    context.log.info(
        f"{day}: {report.candidates} candidates, {len(prepared.eligible)} to send, "
        f"{len(prepared.skipped)} skipped, {report.already_settled} settled earlier"
    )

    if config.dry_run:
        cooled = ledger.cooled_keys(prepared.eligible)
        written = write_preview(warehouse, prepared, day, context.run_id, cooled)
        would_send = len(prepared.eligible) - len(cooled)
        minutes = would_send / limit if limit else 0.0
        would_skip = report.skipped_by_reason | (
            {SkipReason.CONTACT_COOLDOWN: len(cooled)} if cooled else {}
        )
        return dg.MaterializeResult(
            metadata={
                "dry_run": True,
                "would_send": would_send,
                "would_skip": dg.MetadataValue.json(would_skip),
                "preview_rows": written,
                "estimated_send_minutes": round(minutes, 1),
                "plan_limit_per_minute": limit,
            }
        )

    if not hindsight.configured:
        raise dg.Failure("HINDSIGHT_API_KEY is not set: nothing was sent.")
    ledger.record_skipped(prepared.skipped)
    priority = Priority.LOW if context.run.tags.get("dagster/backfill") else Priority.NORMAL
    settings = SendSettings(
        max_in_flight=send_policy.max_in_flight or rate_limiter.concurrency,
        claim_batch_size=send_policy.claim_batch_size,
        max_sends=_cap(config.max_sends, send_policy.max_sends_per_run),
    )
    context.log.info(rate_limiter.describe())
    report.send = send_prepared(
        ledger,
        prepared,
        hindsight,
        rate_limiter.get_limiter(key_id=hindsight.key_id, priority=priority),
        settings,
        is_paused=lambda: send_policy.paused or sends_paused(warehouse),
        progress=SendProgress(len(prepared.eligible), context.log),
    )
    if report.send.stopped_by == "paused":
        context.log.warning("Sends are paused: this run stopped sending; nothing failed.")
    if report.send.stopped_by == "cap":
        context.log.warning(f"Reached the cap of {settings.max_sends} sends for this run.")

    metadata = report_metadata(
        report, ledger.status_counts(day), ledger.rows_for(day), ledger_write_s=ledger.write_seconds
    )
    if report.send.stopped_by == "unauthorized":
        raise dg.Failure(
            description=(
                "Hindsight rejected the API key (401 unauthorized). Nothing else in this run can "
                "succeed: check HINDSIGHT_API_KEY and HINDSIGHT_API_URL. Unsent rows are "
                "pending_retry and will go out on the next run."
            ),
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)


def _cap(*caps: int | None) -> int | None:
    present = [cap for cap in caps if cap is not None]
    return min(present) if present else None


def _run_finished(context: AssetExecutionContext, run_id: str) -> bool:
    run = context.instance.get_run_by_id(run_id)
    return run is not None and run.status in FINISHED
