"""From a partition's candidates to the requests to send and the rows to skip. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from hindsight_pipeline.hindsight_api import CreateInterviewRequest, InvalidRequestError
from hindsight_pipeline.interview_requests.payloads import Templates, build_request
from hindsight_pipeline.interview_requests.rules import RoutingDefaults, apply_rules

RowKey = tuple[str, str]


@dataclass
class PreparedPartition:
    eligible: pd.DataFrame  # rows to claim and send, with their objective
    skipped: pd.DataFrame  # rows with skip_reason (and skip_detail where useful)
    requests: Mapping[RowKey, CreateInterviewRequest]


def prepare_partition(
    candidates: pd.DataFrame,
    *,
    routing: RoutingDefaults,
    templates: Templates,
    today: date,
    max_deal_age_days: int | None = None,
) -> PreparedPartition:
    """Apply the rules, then build each eligible row's request.

    A row whose request cannot be built (a field the client refuses) is skipped with the
    client's reason and the field it named, never dropped and never a crash.
    """
    rows = apply_rules(candidates, routing, today=today, max_deal_age_days=max_deal_age_days)
    rows["skip_detail"] = None
    rows["objective"] = None
    requests: dict[RowKey, CreateInterviewRequest] = {}
    records = rows.to_dict("records")
    for index, record in zip(rows.index, records, strict=True):
        if record["skip_reason"] is not None:
            continue
        try:
            request = build_request(record, templates)
        except InvalidRequestError as error:
            rows.at[index, "skip_reason"] = error.reason
            rows.at[index, "skip_detail"] = f"{error.field}: {error.reason}"
            continue
        requests[(record["opportunity_id"], record["contact_id"])] = request
        rows.at[index, "objective"] = request.objective
        rows.at[index, "sequence_id"] = request.sequence_id
        rows.at[index, "interview_type_id"] = request.interview_type_id
    eligible = rows[rows["skip_reason"].isna()]
    skipped = rows[rows["skip_reason"].notna()]
    return PreparedPartition(eligible=eligible, skipped=skipped, requests=requests)
