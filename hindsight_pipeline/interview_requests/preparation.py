"""From a partition's candidates to the requests to send and the rows to skip. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date

import pandas as pd

from hindsight_pipeline.hindsight_api import CreateInterviewRequest, InvalidRequestError
from hindsight_pipeline.interview_requests.payloads import Templates, build_request
from hindsight_pipeline.interview_requests.rules import RoutingDefaults, apply_rules
from hindsight_pipeline.interview_requests.schema import RowKey


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
    taken_emails: AbstractSet[str] = frozenset(),
) -> PreparedPartition:
    """Apply the rules, then build each eligible row's request.

    A row whose request cannot be built (a field the client refuses) is skipped with the
    client's reason and the field it named, never dropped and never a crash.
    """
    rows = apply_rules(
        candidates,
        routing,
        today=today,
        max_deal_age_days=max_deal_age_days,
        taken_emails=taken_emails,
    )
    requests: dict[RowKey, CreateInterviewRequest] = {}
    # Built as plain lists and assigned once: a DataFrame set per row costs more than the row.
    skip_reason = rows["skip_reason"].tolist()
    skip_detail: list[str | None] = [None] * len(rows)
    objective: list[str | None] = [None] * len(rows)
    sequence_id = rows["sequence_id"].tolist()
    interview_type_id = rows["interview_type_id"].tolist()
    for position, record in enumerate(rows.to_dict("records")):
        if record["skip_reason"] is not None:
            continue
        try:
            request = build_request(record, templates)
        except InvalidRequestError as error:
            skip_reason[position] = error.reason
            skip_detail[position] = f"{error.field}: {error.reason}"
            continue
        requests[(record["opportunity_id"], record["contact_id"])] = request
        objective[position] = request.objective
        sequence_id[position] = request.sequence_id
        interview_type_id[position] = request.interview_type_id
    rows = rows.assign(
        skip_reason=pd.Series(skip_reason, index=rows.index, dtype=object),
        skip_detail=pd.Series(skip_detail, index=rows.index, dtype=object),
        objective=pd.Series(objective, index=rows.index, dtype=object),
        sequence_id=pd.Series(sequence_id, index=rows.index, dtype=object),
        interview_type_id=pd.Series(interview_type_id, index=rows.index, dtype=object),
    )
    eligible = rows[rows["skip_reason"].isna()]
    skipped = rows[rows["skip_reason"].notna()]
    return PreparedPartition(eligible=eligible, skipped=skipped, requests=requests)
