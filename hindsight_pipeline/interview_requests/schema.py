"""The results table analysts query, its append-only attempts log, and the dry-run preview.

These are the project's output contract (DESIGN.md, "Output"): change them only with a note.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

RESULTS_SCHEMA = "hindsight"
RESULTS_TABLE = f"{RESULTS_SCHEMA}.interview_requests"
ATTEMPTS_TABLE = f"{RESULTS_SCHEMA}.interview_request_attempts"
LEASES_TABLE = f"{RESULTS_SCHEMA}.sender_leases"
PREVIEW_TABLE = f"{RESULTS_SCHEMA}.interview_request_previews"


RowKey = tuple[str, str]  # (deal_id, contact_id): the results table's unique key


def warehouse_now() -> datetime:
    """Now, as the tables' timestamp columns hold it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Status(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    CREATED = "created"
    SKIPPED = "skipped"
    FAILED = "failed"
    PENDING_RETRY = "pending_retry"
    UNCONFIRMED = "unconfirmed"


# Statuses that hold a contact's cool-down: the request went out, or may have.
COOLDOWN_STATUSES = (Status.SENDING, Status.SENT, Status.CREATED, Status.UNCONFIRMED)
# Statuses a run may (re)claim for sending: never sent, or failed in a way that sent nothing.
CLAIMABLE_STATUSES = (Status.SKIPPED, Status.PENDING_RETRY)
ACCEPTED_STATUSES = (Status.SENT, Status.CREATED)

RESULTS_COLUMNS: dict[str, str] = {
    "deal_id": "varchar not null",
    "contact_id": "varchar not null",
    "contact_email": "varchar",
    "closed_lost_date": "date not null",
    "status": "varchar not null",
    "interview_request_id": "bigint",
    "hindsight_contact_id": "varchar",
    "hindsight_deal_id": "varchar",
    "survey_url": "varchar",
    "sequence_id": "varchar",
    "interview_type_id": "varchar",
    "objective": "varchar",
    "error_code": "varchar",
    "error_message": "varchar",
    "notes": "varchar",
    "attempts": "integer not null",
    "first_attempted_at": "timestamp",
    "last_attempted_at": "timestamp",
    "dagster_run_id": "varchar",
    "created_at": "timestamp not null",
    "updated_at": "timestamp not null",
}

ATTEMPTS_COLUMNS: dict[str, str] = {
    "deal_id": "varchar not null",
    "contact_id": "varchar not null",
    "contact_email": "varchar",
    "dagster_run_id": "varchar",
    "event": "varchar not null",  # http_attempt, resolved_sent, requeued, marked_unconfirmed
    "attempt": "integer",
    "attempted_at": "timestamp not null",
    "http_status": "integer",
    "error_code": "varchar",
    "outcome": "varchar",  # accepted, rejected, retryable, unknown, or the operator's action
    "interview_request_id": "bigint",
    "note": "varchar",
}

LEASES_COLUMNS: dict[str, str] = {
    "dagster_run_id": "varchar not null",
    "host": "varchar not null",
    "pid": "integer not null",
    "process_started": "varchar",
    "heartbeat_at": "timestamp not null",
}

PREVIEW_COLUMNS: dict[str, str] = {
    "deal_id": "varchar not null",
    "contact_id": "varchar not null",
    "closed_lost_date": "date not null",
    "contact_email": "varchar",
    "would_be_status": "varchar not null",
    "skip_reason": "varchar",
    "sequence_id": "varchar",
    "interview_type_id": "varchar",
    "hindsight_deal_id": "varchar",
    "contact_name": "varchar",
    "objective": "varchar",
    "contact_context": "varchar",
    "dagster_run_id": "varchar",
    "previewed_at": "timestamp not null",
}
