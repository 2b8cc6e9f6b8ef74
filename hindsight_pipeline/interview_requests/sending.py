"""The send loop of one partition: claim a little ahead, send concurrently, record in batches.

At most ``claim_batch_size`` rows of a run are claimed and not yet recorded at any moment,
so a crash strands at most that many as ``unconfirmed``. Claims are topped up by half a
batch as answers are recorded, so the requests in flight never run dry waiting for the
ledger. Ledger calls run in a worker thread: a busy warehouse never stalls the HTTP side.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import pandas as pd

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    AttemptRecord,
    CreateInterviewRequest,
    UnauthorizedError,
)
from hindsight_pipeline.interview_requests.ledger import Ledger
from hindsight_pipeline.interview_requests.outcomes import (
    Outcome,
    accepted,
    refused,
    rejects_deal_id,
)
from hindsight_pipeline.interview_requests.schema import RowKey, warehouse_now
from hindsight_pipeline.rate_limiting import SendProgress

log = logging.getLogger(__name__)

_current_row: contextvars.ContextVar[tuple[RowKey, str] | None] = contextvars.ContextVar(
    "hindsight_current_row", default=None
)


# Why eligible rows were left unsent, as their pending_retry rows say.
DEFERRED = {
    "paused": ("paused", "Not sent: sends were paused. A later run sends it after a resume."),
    "cap": ("run_cap_reached", "Not sent: the run reached its cap of sends. A later run sends it."),
}


@dataclass
class SendSummary:
    claimed: int = 0
    cooled: int = 0
    taken: int = 0
    requests_sent: int = 0  # HTTP attempts, retries included
    by_status: dict[str, int] = field(default_factory=dict)
    stopped_by: str | None = None  # "paused", "cap", "unauthorized"
    deferred: int = 0  # eligible rows left for a later run (paused, cap): pending_retry
    elapsed_s: float = 0.0


@dataclass
class SendSettings:
    max_in_flight: int = 8
    claim_batch_size: int = 32
    flush_every_s: float = 1.0
    max_sends: int | None = None


class AttemptLog:
    """Collects the client's per-attempt reports, attributed to the row being sent."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.rows: list[dict[str, object]] = []
        self.count = 0

    def __call__(self, record: AttemptRecord) -> None:
        current = _current_row.get()
        if current is None:
            return
        (deal_id, contact_id), email = current
        self.count += 1
        self.rows.append(
            {
                "deal_id": deal_id,
                "contact_id": contact_id,
                "contact_email": email,
                "dagster_run_id": self.run_id,
                "event": "http_attempt",
                "attempt": record.attempt,
                "attempted_at": warehouse_now(),
                "http_status": record.http_status,
                "error_code": record.error_code,
                "outcome": "accepted" if record.outcome == "ok" else record.outcome,
                "interview_request_id": None,
                "note": None,
            }
        )

    def take(self) -> pd.DataFrame:
        rows, self.rows = self.rows, []
        return pd.DataFrame(rows)


async def send_one(
    client: AsyncHindsightClient, key: RowKey, request: CreateInterviewRequest
) -> Outcome:
    """One request, and once more without deal_id if Hindsight rejects the deal."""
    deal_id, contact_id = key
    _current_row.set((key, request.contact_email))
    try:
        response = await client.create_interview(request)
        return accepted(
            deal_id, contact_id, response, attempts=response.attempts, at=warehouse_now()
        )
    except Exception as error:  # every failure becomes a row; none is lost
        attempts = getattr(error, "attempts", 1) or 1
        if not (rejects_deal_id(error) and request.deal_id):
            if isinstance(error, UnauthorizedError):
                raise
            return refused(deal_id, contact_id, error, attempts=attempts, at=warehouse_now())
        note = (
            f"Hindsight rejected deal_id {request.deal_id!r} ({getattr(error, 'message', '')}); "
            "sent again without the deal."
        )
        try:
            response = await client.create_interview(request.without_deal())
        except Exception as retry_error:
            if isinstance(retry_error, UnauthorizedError):
                raise
            outcome = refused(
                deal_id,
                contact_id,
                retry_error,
                attempts=attempts + (getattr(retry_error, "attempts", 1) or 1),
                at=warehouse_now(),
            )
        else:
            outcome = accepted(
                deal_id,
                contact_id,
                response,
                attempts=attempts + response.attempts,
                at=warehouse_now(),
            )
        outcome.notes = note
        return outcome


class PartitionSender:
    """Sends the eligible rows of one partition through the ledger."""

    def __init__(
        self,
        ledger: Ledger,
        client: AsyncHindsightClient,
        attempt_log: AttemptLog,
        settings: SendSettings,
        *,
        is_paused: Callable[[], bool] = lambda: False,
        progress: SendProgress | None = None,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.attempt_log = attempt_log
        self.settings = settings
        self.is_paused = is_paused
        self.progress = progress

    async def run(
        self, rows: pd.DataFrame, requests: Mapping[RowKey, CreateInterviewRequest]
    ) -> SendSummary:
        started = time.monotonic()
        summary = SendSummary()
        settings = self.settings
        pending = rows.reset_index(drop=True)
        position = 0
        queue: asyncio.Queue[RowKey] = asyncio.Queue()
        answers: list[Outcome] = []
        unauthorized: list[RowKey] = []
        unsent: list[RowKey] = []  # claimed, then held back after a 401
        outstanding = 0  # claimed by this run and not yet recorded
        half = max(1, settings.claim_batch_size // 2)
        answered = asyncio.Event()

        async def worker() -> None:
            while True:
                key = await queue.get()
                if unauthorized:  # nothing else in this run can succeed: do not send
                    unsent.append(key)
                    answered.set()
                    queue.task_done()
                    continue
                try:
                    outcome = await send_one(self.client, key, requests[key])
                except UnauthorizedError as error:
                    unauthorized.append(key)
                    outcome = refused(*key, error, attempts=error.attempts or 1, at=warehouse_now())
                answers.append(outcome)
                answered.set()
                queue.task_done()

        async def flush() -> None:
            nonlocal outstanding
            batch, answers[:] = list(answers), []
            attempts = self.attempt_log.take()
            if batch or not attempts.empty:
                await asyncio.to_thread(
                    self.ledger.record_results, pd.DataFrame([asdict(o) for o in batch]), attempts
                )
            for outcome in batch:
                summary.by_status[outcome.status] = summary.by_status.get(outcome.status, 0) + 1
            outstanding -= len(batch)
            if self.progress and batch:
                self.progress.advance(len(batch))

        workers = [asyncio.create_task(worker()) for _ in range(settings.max_in_flight)]
        last_flush = time.monotonic()
        try:
            while True:
                stop = summary.stopped_by is not None or bool(unauthorized)
                # Top up the claims by half a batch whenever half a batch has been recorded.
                while not stop and position < len(pending) and outstanding <= half:
                    room = settings.claim_batch_size - outstanding
                    if settings.max_sends is not None:
                        room = min(room, settings.max_sends - summary.claimed)
                        if room <= 0:
                            summary.stopped_by = "cap"
                            break
                    if await asyncio.to_thread(self.is_paused):
                        summary.stopped_by = "paused"
                        break
                    chunk = pending.iloc[position : position + room]
                    position += len(chunk)
                    claim = await asyncio.to_thread(self.ledger.claim, chunk)
                    summary.claimed += len(claim.claimed)
                    summary.cooled += len(claim.cooled)
                    summary.taken += claim.taken
                    outstanding += len(claim.claimed)
                    for key in zip(
                        claim.claimed["opportunity_id"], claim.claimed["contact_id"], strict=True
                    ):
                        queue.put_nowait(key)
                if outstanding == 0 and (stop or position >= len(pending) or summary.stopped_by):
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(answered.wait(), timeout=settings.flush_every_s)
                answered.clear()
                due = time.monotonic() - last_flush >= settings.flush_every_s
                if answers and (due or len(answers) >= half or queue.empty()):
                    await flush()
                    last_flush = time.monotonic()
                if unauthorized and (unsent or not queue.empty()):
                    # Hand the claims that were never sent back: nothing was created for them.
                    held, unsent[:] = [*unsent, *_drain(queue)], []
                    await asyncio.to_thread(
                        self.ledger.release,
                        pd.DataFrame(held, columns=["opportunity_id", "contact_id"]),
                        error_code="unauthorized",
                        message="Not sent: Hindsight rejected the API key earlier in this run.",
                    )
                    outstanding -= len(held)
            await flush()
            if summary.stopped_by in DEFERRED and position < len(pending):
                # Never left without a row: the next run of the day, or the sweep, sends them.
                code, message = DEFERRED[summary.stopped_by]
                left = pending.iloc[position:]
                await asyncio.to_thread(self.ledger.defer, left, error_code=code, message=message)
                summary.deferred = len(left)
            if self.progress:
                self.progress.finish()
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        summary.requests_sent = self.attempt_log.count
        summary.elapsed_s = time.monotonic() - started
        if unauthorized:
            summary.stopped_by = "unauthorized"
        return summary


def _drain(queue: asyncio.Queue[RowKey]) -> list[RowKey]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
        queue.task_done()
    return items
