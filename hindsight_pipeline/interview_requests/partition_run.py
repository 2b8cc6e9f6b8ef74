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
from hindsight_pipeline.interview_requests.rules import RoutingDefaults
from hindsight_pipeline.interview_requests.schema import CLAIMABLE_STATUSES
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
    """Candidates whose ledger row is absent or claimable, and how many are settled."""
    if ledger_rows.empty:
        return candidates, 0
    settled = ledger_rows[~ledger_rows["status"].isin(list(CLAIMABLE_STATUSES))]
    settled_keys = set(zip(settled["deal_id"], settled["contact_id"], strict=True))
    keep = [
        key not in settled_keys
        for key in zip(candidates["opportunity_id"], candidates["contact_id"], strict=True)
    ]
    return candidates[keep], len(keep) - sum(keep)


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
    todo, report.already_settled = unsettled(candidates, ledger.rows_for(day))
    report.read_s = time.perf_counter() - started
    prepared = prepare_partition(
        todo, routing=routing, templates=templates, today=today, max_deal_age_days=max_deal_age_days
    )
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
