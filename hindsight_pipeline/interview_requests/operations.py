"""What an operator does to the ledger by hand: resolve ``unconfirmed`` rows, requeue ``failed``
ones. Each action is one transaction, acts only on rows in the status it names (so it can
never cause a second send of a row already accepted), and is written to the attempts log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hindsight_pipeline.interview_requests.schema import (
    ATTEMPTS_TABLE,
    RESULTS_TABLE,
    Status,
    warehouse_now,
)
from hindsight_pipeline.warehouse import Warehouse, WarehouseSession


class OperationRefused(ValueError):
    """The row is not in a state this action may change."""


@dataclass(frozen=True)
class Found:
    """What Hindsight says of an interview request (GET /interviews/{id}), when checked."""

    status: str
    hindsight_contact_id: str | None = None
    hindsight_deal_id: str | None = None
    survey_url: str | None = None


def _log(
    session: WarehouseSession,
    row: tuple[str, str, str | None],
    event: str,
    outcome: str,
    note: str,
    interview_id: int | None = None,
) -> None:
    """One operator action on one row, in the attempts log."""
    session.execute(
        f"insert into {ATTEMPTS_TABLE} (deal_id, contact_id, contact_email, event, attempted_at, "
        "outcome, interview_request_id, note) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [*row, event, warehouse_now(), outcome, interview_id, note],
    )


def mark_sent(
    warehouse: Warehouse,
    deal_id: str,
    contact_id: str,
    interview_request_id: int,
    *,
    by: str,
    found: Found | None = None,
) -> None:
    """An ``unconfirmed`` row that a person found in Hindsight: record it as accepted."""
    status = found.status if found else Status.SENT.value
    status = Status.CREATED.value if status == Status.CREATED.value else Status.SENT.value

    def write(session: WarehouseSession) -> None:
        row = _one(session, deal_id, contact_id, Status.UNCONFIRMED)
        holder = session.query_df(
            f"select deal_id, contact_id from {RESULTS_TABLE} where interview_request_id = ?",
            [interview_request_id],
        )
        if not holder.empty:
            raise OperationRefused(
                f"interview {interview_request_id} is already recorded for deal "
                f"{holder['deal_id'].iloc[0]}, contact {holder['contact_id'].iloc[0]}: "
                "check the id in Hindsight"
            )
        session.execute(
            f"update {RESULTS_TABLE} set status = ?, interview_request_id = ?, "
            "hindsight_contact_id = coalesce(?, hindsight_contact_id), "
            "survey_url = coalesce(?, survey_url), error_code = null, error_message = null, "
            "notes = ?, updated_at = ? where deal_id = ? and contact_id = ?",
            [
                status, interview_request_id,
                found.hindsight_contact_id if found else None,
                found.survey_url if found else None,
                f"resolved by {by}: found in Hindsight as interview {interview_request_id}",
                warehouse_now(), deal_id, contact_id,
            ],
        )  # fmt: skip
        _log(session, row, "resolved_sent", status, f"by {by}", interview_request_id)

    warehouse.transaction(write)


def requeue_unconfirmed(warehouse: Warehouse, deal_id: str, contact_id: str, *, by: str) -> None:
    """An ``unconfirmed`` row a person checked was NOT created in Hindsight: send it again."""

    note = f"requeued by {by}: not found in Hindsight"

    def write(session: WarehouseSession) -> None:
        row = _one(session, deal_id, contact_id, Status.UNCONFIRMED)
        session.execute(
            f"update {RESULTS_TABLE} set status = ?, notes = ?, updated_at = ? "
            # The status again: a run presumed dead may record its real answer meanwhile.
            "where deal_id = ? and contact_id = ? and status = ?",
            [
                Status.PENDING_RETRY.value, note, warehouse_now(),
                deal_id, contact_id, Status.UNCONFIRMED.value,
            ],
        )  # fmt: skip
        _log(session, row, "requeued", Status.PENDING_RETRY.value, note)

    warehouse.transaction(write)


def requeue_failed(
    warehouse: Warehouse,
    *,
    by: str,
    day: date | None = None,
    error_code: str | None = None,
    deal_id: str | None = None,
) -> int:
    """``failed`` rows (after a fix, e.g. a sequence created in Hindsight) go back to
    ``pending_retry``; returns how many. One statement for the rows and one for the log."""
    conditions = ["status = ?"]
    params: list[object] = [Status.FAILED.value]
    for column, value in (
        ("closed_lost_date", day),
        ("error_code", error_code),
        ("deal_id", deal_id),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    where = " and ".join(conditions)
    note = f"requeued by {by} after a fix"

    def write(session: WarehouseSession) -> int:
        now = warehouse_now()
        session.execute(
            f"insert into {ATTEMPTS_TABLE} (deal_id, contact_id, contact_email, event, "
            "attempted_at, outcome, note) "
            f"select deal_id, contact_id, contact_email, 'requeued', ?, ?, ? from {RESULTS_TABLE} "
            f"where {where}",
            [now, Status.PENDING_RETRY.value, note, *params],
        )
        found = session.query_df(f"select count(*) as n from {RESULTS_TABLE} where {where}", params)
        session.execute(
            f"update {RESULTS_TABLE} set status = ?, notes = ?, updated_at = ? where {where}",
            [Status.PENDING_RETRY.value, note, now, *params],
        )
        return int(found["n"].iloc[0])

    return warehouse.transaction(write)


def _one(
    session: WarehouseSession, deal_id: str, contact_id: str, status: Status
) -> tuple[str, str, str | None]:
    found = session.query_df(
        f"select deal_id, contact_id, contact_email, status from {RESULTS_TABLE} where deal_id = ? and contact_id = ?",
        [deal_id, contact_id],
    )
    if found.empty:
        raise OperationRefused(f"no row for deal {deal_id}, contact {contact_id}")
    if found["status"].iloc[0] != status.value:
        raise OperationRefused(
            f"deal {deal_id}, contact {contact_id} is {found['status'].iloc[0]}, not {status.value}: left as it is"
        )
    return (deal_id, contact_id, found["contact_email"].iloc[0])
