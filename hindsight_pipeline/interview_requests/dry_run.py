"""The dry run: what a run would send, written to a preview table for review, sent nowhere."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from datetime import date

import pandas as pd

from hindsight_pipeline.interview_requests.preparation import PreparedPartition
from hindsight_pipeline.interview_requests.rules import SkipReason
from hindsight_pipeline.interview_requests.schema import (
    PREVIEW_COLUMNS,
    PREVIEW_TABLE,
    RESULTS_SCHEMA,
    RowKey,
    warehouse_now,
)
from hindsight_pipeline.warehouse import Warehouse, WarehouseSession


def preview_frame(
    prepared: PreparedPartition, run_id: str, cooled: AbstractSet[RowKey] = frozenset()
) -> pd.DataFrame:
    """The preview: each eligible row as it would be sent (or as ``contact_cooldown`` where
    the ledger would refuse its claim now), and each skipped row with its reason."""
    now = warehouse_now()
    rows = []
    for record in prepared.eligible.to_dict("records"):
        key = (record["opportunity_id"], record["contact_id"])
        request = prepared.requests[key]
        would_send = key not in cooled
        rows.append(
            {
                "deal_id": record["opportunity_id"],
                "contact_id": record["contact_id"],
                "closed_lost_date": record["closed_lost_date"],
                "contact_email": request.contact_email,
                "would_be_status": "would_send" if would_send else "skipped",
                "skip_reason": None if would_send else SkipReason.CONTACT_COOLDOWN,
                "sequence_id": request.sequence_id,
                "interview_type_id": request.interview_type_id,
                "hindsight_deal_id": request.deal_id,
                "contact_name": request.contact_name,
                "objective": request.objective,
                "contact_context": json.dumps(request.contact_context, ensure_ascii=False),
                "dagster_run_id": run_id,
                "previewed_at": now,
            }
        )
    for record in prepared.skipped.to_dict("records"):
        rows.append(
            {
                "deal_id": record["opportunity_id"],
                "contact_id": record["contact_id"],
                "closed_lost_date": record["closed_lost_date"],
                "contact_email": record.get("email") or None,
                "would_be_status": "skipped",
                "skip_reason": record["skip_reason"],
                "dagster_run_id": run_id,
                "previewed_at": now,
            }
        )
    return pd.DataFrame(rows, columns=list(PREVIEW_COLUMNS))


def write_preview(
    warehouse: Warehouse,
    prepared: PreparedPartition,
    day: date,
    run_id: str,
    cooled: AbstractSet[RowKey] = frozenset(),
) -> int:
    """Replace the partition's preview rows with this run's; returns rows written."""
    frame = preview_frame(prepared, run_id, cooled)

    warehouse.ensure_tables(RESULTS_SCHEMA, {PREVIEW_TABLE.split(".")[1]: PREVIEW_COLUMNS})

    def write(session: WarehouseSession) -> int:
        session.execute(f"delete from {PREVIEW_TABLE} where closed_lost_date = ?", [day])
        session.insert_df(PREVIEW_TABLE, frame)
        return len(frame)

    return warehouse.transaction(write)
