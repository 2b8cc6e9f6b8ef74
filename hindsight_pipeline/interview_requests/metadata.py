"""What a materialization shows in the UI: counts, a preview, the pace. No secrets, no tokens."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

from hindsight_pipeline.interview_requests.partition_run import PartitionReport

PREVIEW_ROWS = 10
METADATA_PREVIEW_COLUMNS = [
    "deal_id",
    "contact_id",
    "contact_email",
    "status",
    "error_code",
    "interview_request_id",
]


def mask_email(email: object) -> str:
    text = "" if email is None or (isinstance(email, float) and pd.isna(email)) else str(email)
    local, at, domain = text.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else ("***" if text else "")


def markdown_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_"
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = [
        "| " + " | ".join("" if pd.isna(v) else str(v).replace("|", "/") for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def report_metadata(
    report: PartitionReport,
    status_counts: pd.DataFrame,
    rows: pd.DataFrame,
    *,
    ledger_write_s: float = 0.0,
) -> dict[str, Any]:
    preview = (
        rows.sort_values(["status", "deal_id"]).head(PREVIEW_ROWS)[METADATA_PREVIEW_COLUMNS].copy()
    )
    preview["contact_email"] = preview["contact_email"].map(mask_email)
    send = report.send
    metadata: dict[str, Any] = {
        "candidates": report.candidates,
        "no_primary_contact": report.no_primary_contact,
        "already_settled": report.already_settled,
        "skipped_this_run": dg.MetadataValue.json(report.skipped_by_reason),
        "recovered_unconfirmed": report.recovered_unconfirmed,
        "rows_by_status": dg.MetadataValue.md(markdown_table(status_counts)),
        "preview": dg.MetadataValue.md(markdown_table(preview)),
        "dagster/row_count": len(rows),
        "read_seconds": round(report.read_s, 3),
        "prepare_seconds": round(report.prepare_s, 3),
        "ledger_write_seconds": round(ledger_write_s, 3),
    }
    if send is not None:
        minutes = send.elapsed_s / 60 if send.elapsed_s else 0
        metadata |= {
            "claimed": send.claimed,
            "contact_cooldown": send.cooled,
            "taken_by_other_runs": send.taken,
            "requests_sent": send.requests_sent,
            "outcomes_this_run": dg.MetadataValue.json(send.by_status),
            "send_seconds": round(send.elapsed_s, 2),
            "requests_per_minute": round(send.requests_sent / minutes, 1) if minutes else 0.0,
            "stopped_by": send.stopped_by or "",
            "deferred_pending_retry": send.deferred,
        }
    return metadata
