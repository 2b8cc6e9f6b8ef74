"""What became of one request: the mapping from the client's answers to ledger statuses.

Pure: DESIGN.md's "retry what is safe, by the error's code" table, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hindsight_pipeline.hindsight_api import (
    CreateInterviewResponse,
    ErrorKind,
    HindsightError,
    error_kind,
)
from hindsight_pipeline.interview_requests.schema import Status


@dataclass
class Outcome:
    deal_id: str
    contact_id: str
    status: str
    attempts: int
    last_attempted_at: datetime
    interview_request_id: int | None = None
    hindsight_contact_id: str | None = None
    hindsight_deal_id: str | None = None
    survey_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    notes: str | None = None


def accepted(
    deal_id: str, contact_id: str, response: CreateInterviewResponse, *, attempts: int, at: datetime
) -> Outcome:
    return Outcome(
        deal_id=deal_id,
        contact_id=contact_id,
        status=Status.SENT if response.status == "sent" else Status.CREATED,
        attempts=attempts,
        last_attempted_at=at,
        interview_request_id=response.interview_request_id,
        hindsight_contact_id=response.contact_id,
        hindsight_deal_id=response.deal_id,
        survey_url=response.survey_url,
    )


def status_for_error(error: BaseException) -> Status:
    """The ledger status a request ends in after ``error`` (retries already spent)."""
    kind = error_kind(error)
    if kind is ErrorKind.PERMANENT:
        return Status.FAILED
    if kind in (ErrorKind.RETRYABLE, ErrorKind.FATAL):
        # Nothing was created: a later run (or this partition's next one) sends it again.
        return Status.PENDING_RETRY
    return Status.UNCONFIRMED  # the request left and may have created an interview


def refused(
    deal_id: str, contact_id: str, error: BaseException, *, attempts: int, at: datetime
) -> Outcome:
    code = error.code if isinstance(error, HindsightError) else "pipeline_error"
    message = error.message if isinstance(error, HindsightError) else type(error).__name__
    return Outcome(
        deal_id=deal_id,
        contact_id=contact_id,
        status=status_for_error(error),
        attempts=attempts,
        last_attempted_at=at,
        error_code=code,
        error_message=message,
    )


def rejects_deal_id(error: BaseException) -> bool:
    """A 400 whose message names deal_id: the interview is resent once without the deal."""
    return (
        isinstance(error, HindsightError)
        and error.code == "bad_request"
        and "deal_id" in (error.message or "")
    )
