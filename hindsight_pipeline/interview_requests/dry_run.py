"""The dry run: what a run would send, written to a preview table for review, sent nowhere."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd

from hindsight_pipeline.interview_requests.preparation import PreparedPartition
from hindsight_pipeline.interview_requests.schema import PREVIEW_COLUMNS, PREVIEW_TABLE, RESULTS_SCHEMA
from hindsight_pipeline.warehouse import Warehouse, WarehouseSession
from hindsight_pipeline.warehouse.base import create_table_sql


def preview_frame(prepared: PreparedPartition, run_id: str) -> pd.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for record in prepared.eligible.to_dict("records"):
        request = prepared.requests[(record["opportunity_id"], record["contact_id"])]
        rows.append(
            {
                "deal_id": record["opportunity_id"],
                "contact_id": record["contact_id"],
                "closed_lost_date": record["closed_lost_date"],
                "contact_email": request.contact_email,
                "would_be_status": "would_send",
                "skip_reason": None,
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


def write_preview(warehouse: Warehouse, prepared: PreparedPartition, day: date, run_id: str) -> int:
    """Replace the partition's preview rows with this run's; returns rows written."""
    frame = preview_frame(prepared, run_id)

    def write(session: WarehouseSession) -> int:
        session.execute(f"create schema if not exists {RESULTS_SCHEMA}")
        session.execute(create_table_sql(RESULTS_SCHEMA, "interview_request_previews", PREVIEW_COLUMNS))
        session.execute(f"delete from {PREVIEW_TABLE} where closed_lost_date = ?", [day])
        session.insert_df(PREVIEW_TABLE, frame)
        return len(frame)

    return warehouse.transaction(write)
