"""One partition's run, start to end, without Dagster: what the asset calls.

recover lost claims -> read candidates -> rules and payloads -> record skips -> claim, send
and record in batches -> report. Re-running a partition sends only what was never sent:
rows already ``sending``/``sent``/``created``/``failed``/``unconfirmed`` are left alone;
``skipped`` rows are re-evaluated against today's data and ``pending_retry`` rows are sent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from hindsight_pipeline.hindsight_api import RateLimiter
from hindsight_pipeline.interview_requests.ledger import Lease, Ledger
from hindsight_pipeline.interview_requests.payloads import Templates
from hindsight_pipeline.interview_requests.preparation import PreparedPartition, prepare_partition
from hindsight_pipeline.interview_requests.resources import HindsightApi
from hindsight_pipeline.interview_requests.rules import RoutingDefaults, SkipReason
from hindsight_pipeline.interview_requests.schema import (
    CLAIMABLE_STATUSES,
    COOLDOWN_STATUSES,
    Status,
)
from hindsight_pipeline.interview_requests.sending import (
    AttemptLog,
    PartitionSender,
    SendSettings,
    SendSummary,
)
from hindsight_pipeline.rate_limiting import SendProgress
from hindsight_pipeline.warehouse import Warehouse

CANDIDATES_TABLE = "hindsight_prep.closed_lost_interview_candidates"
DEALS_TABLE = "hindsight_prep.closed_lost_deals"
HEARTBEAT_EVERY_S = 15.0

log = logging.getLogger(__name__)


@dataclass
class PartitionReport:
    partition: date
    candidates: int = 0
    no_primary_contact: int = 0
    already_settled: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    recovered_unconfirmed: int = 0
    send: SendSummary | None = None
    # Where the run's time went, in seconds: reading, rules + payloads, ledger writes.
    read_s: float = 0.0
    prepare_s: float = 0.0


def read_candidates(warehouse: Warehouse, day: date) -> pd.DataFrame:
    return warehouse.query_df(
        f"select * from {CANDIDATES_TABLE} where closed_lost_date = ? "
        "order by opportunity_id, contact_id",
        [day],
    )


def count_no_primary_contact(warehouse: Warehouse, day: date) -> int:
    found = warehouse.query_df(
        f"select count(*) as n from {DEALS_TABLE} "
        "where closed_lost_date = ? and primary_contact_id is null",
        [day],
    )
    return int(found["n"].iloc[0])


def unsettled(candidates: pd.DataFrame, ledger_rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Candidates whose ledger row is absent or claimable (with that row's status as
    ``ledger_status``), and how many are settled."""
    status_of = dict(
        zip(
            zip(ledger_rows["deal_id"], ledger_rows["contact_id"], strict=True),
            ledger_rows["status"],
            strict=True,
        )
    )
    keys = list(zip(candidates["opportunity_id"], candidates["contact_id"], strict=True))
    statuses = [status_of.get(key) for key in keys]
    keep = [status is None or status in CLAIMABLE_STATUSES for status in statuses]
    todo = candidates.assign(
        ledger_status=pd.Series(statuses, index=candidates.index, dtype=object)
    )
    return todo[keep], len(keep) - sum(keep)


def no_longer_candidates(candidates: pd.DataFrame, ledger_rows: pd.DataFrame) -> pd.DataFrame:
    """``pending_retry`` rows whose deal and contact left the candidates since (deal reopened,
    contact deleted, role changed): skipped with a reason, so no sweep asks for them forever."""
    keys = set(zip(candidates["opportunity_id"], candidates["contact_id"], strict=True))
    waiting = ledger_rows[ledger_rows["status"] == Status.PENDING_RETRY]
    gone = waiting[
        [key not in keys for key in zip(waiting["deal_id"], waiting["contact_id"], strict=True)]
    ]
    return gone.rename(columns={"deal_id": "opportunity_id", "contact_email": "email"}).assign(
        skip_reason=SkipReason.NO_LONGER_A_CANDIDATE,
        skip_detail="no longer in hindsight_prep.closed_lost_interview_candidates",
    )


def prepare(
    warehouse: Warehouse,
    ledger: Ledger,
    day: date,
    *,
    routing: RoutingDefaults,
    templates: Templates,
    today: date,
    max_deal_age_days: int | None,
) -> tuple[PartitionReport, PreparedPartition]:
    report = PartitionReport(partition=day)
    started = time.perf_counter()
    candidates = read_candidates(warehouse, day)
    report.candidates = len(candidates)
    report.no_primary_contact = count_no_primary_contact(warehouse, day)
    ledger_rows = ledger.rows_for(day)
    todo, report.already_settled = unsettled(candidates, ledger_rows)
    report.read_s = time.perf_counter() - started
    # Emails this day already holds (sent, or maybe sent): one interview per email per day.
    holding = ledger_rows[ledger_rows["status"].isin(list(COOLDOWN_STATUSES))]
    prepared = prepare_partition(
        todo,
        routing=routing,
        templates=templates,
        today=today,
        max_deal_age_days=max_deal_age_days,
        taken_emails=set(holding["contact_email"].dropna()),
    )
    gone = no_longer_candidates(candidates, ledger_rows)
    if not gone.empty:
        prepared.skipped = pd.concat([prepared.skipped, gone], ignore_index=True)
    report.prepare_s = time.perf_counter() - started - report.read_s
    report.skipped_by_reason = prepared.skipped["skip_reason"].value_counts().to_dict()
    return report, prepared


class Heartbeat:
    """Renews this run's lease while it sends, so other runs know its claims are alive."""

    def __init__(self, ledger: Ledger, every_s: float = HEARTBEAT_EVERY_S) -> None:
        self.ledger = ledger
        self.lease = Lease.of_this_process(ledger.run_id)
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="hindsight-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.ledger.heartbeat(self.lease)  # before the first claim, always
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.ledger.end_lease()

    def _beat(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.ledger.heartbeat(self.lease)
            except Exception:  # a missed beat only shortens the lease; the run goes on
                log.warning("could not renew the sender lease", exc_info=True)


def send_prepared(
    ledger: Ledger,
    prepared: PreparedPartition,
    api: HindsightApi,
    limiter: RateLimiter | None,
    settings: SendSettings,
    *,
    is_paused: Callable[[], bool],
    progress: SendProgress | None = None,
) -> SendSummary:
    """Claim, send and record the eligible rows; returns what happened."""
    attempt_log = AttemptLog(ledger.run_id)

    async def go() -> SendSummary:
        async with api.client(limiter=limiter, on_attempt=attempt_log) as client:
            sender = PartitionSender(
                ledger, client, attempt_log, settings, is_paused=is_paused, progress=progress
            )
            return await sender.run(prepared.eligible, prepared.requests)

    with Heartbeat(ledger):
        return asyncio.run(go())
