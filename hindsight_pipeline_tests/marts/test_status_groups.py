"""The marts' status groups (dbt_sql/macros/marts.sql, interview_status_groups) agree with the
send asset's (hindsight_pipeline/interview_requests/schema.py): the marts built over a results
table holding one row of every Status classify each as the Python side does."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from hindsight_pipeline.dbt.assets import hindsight_dbt_marts
from hindsight_pipeline.interview_requests.ledger import ensure_ledger_tables
from hindsight_pipeline.interview_requests.schema import (
    ACCEPTED_STATUSES,
    CLAIMABLE_STATUSES,
    COOLDOWN_STATUSES,
    RESULTS_TABLE,
    Status,
)
from hindsight_pipeline.warehouse import DuckDBWarehouse
from hindsight_pipeline_tests.support import dbt_resource

# What each group means, in terms of the Python side's statuses.
ELIGIBLE = set(Status) - {Status.SKIPPED}  # passed every rule, claimed for sending
ATTEMPTED = ELIGIBLE - {Status.SENDING}  # the request went out or was settled
ACCEPTED = set(ACCEPTED_STATUSES)


@pytest.fixture(scope="module")
def outcomes(built_warehouse: tuple, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    template, _ = built_warehouse
    path = tmp_path_factory.mktemp("statuses") / "warehouse.duckdb"
    shutil.copy(template.database_path, path)
    warehouse = DuckDBWarehouse(path=str(path))
    ensure_ledger_tables(warehouse)
    candidates = warehouse.query_df(
        "select opportunity_id, contact_id, closed_lost_date "
        "from hindsight_prep.closed_lost_interview_candidates order by opportunity_id "
        f"limit {len(Status)}"
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = pd.DataFrame(
        {
            "deal_id": candidates["opportunity_id"],
            "contact_id": candidates["contact_id"],
            "closed_lost_date": candidates["closed_lost_date"],
            "status": [status.value for status in Status],
            "attempts": [0 if status == Status.SKIPPED else 1 for status in Status],
            "first_attempted_at": [None if status == Status.SKIPPED else now for status in Status],
            "created_at": now,
            "updated_at": now,
        }
    )
    warehouse.transaction(lambda session: session.insert_df(RESULTS_TABLE, rows))
    result = dg.materialize(
        [hindsight_dbt_marts], resources={"dbt": dbt_resource(), "warehouse": warehouse}
    )
    assert result.success
    return warehouse.query_df(
        "select status, is_eligible, is_attempted, is_accepted, outcome "
        "from hindsight_marts.fct_interview_outcomes where has_request_row"
    ).set_index("status")


def test_every_status_is_grouped_as_the_python_side_groups_it(outcomes: pd.DataFrame) -> None:
    assert sorted(outcomes.index) == sorted(status.value for status in Status)
    for status in Status:
        row = outcomes.loc[status.value]
        assert row["outcome"] == status.value
        assert bool(row["is_eligible"]) == (status in ELIGIBLE), status
        assert bool(row["is_attempted"]) == (status in ATTEMPTED), status
        assert bool(row["is_accepted"]) == (status in ACCEPTED), status


def test_the_python_groups_nest_as_the_marts_assume() -> None:
    """accepted within attempted within eligible; a contact's cool-down is held only by
    statuses that went out or may have (eligible, not failed / pending_retry); what a run may
    claim again was never accepted."""
    assert ACCEPTED <= ATTEMPTED <= ELIGIBLE
    assert set(COOLDOWN_STATUSES) <= ELIGIBLE
    assert set(COOLDOWN_STATUSES) >= ACCEPTED
    assert not set(CLAIMABLE_STATUSES) & set(COOLDOWN_STATUSES)


def test_the_outcomes_the_marts_accept_are_the_statuses_and_two_more(dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    (test,) = [
        node for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("attached_node") == "model.hindsight_dbt.fct_interview_outcomes"
        and node.get("column_name") == "outcome"
        and node["test_metadata"]["name"] == "accepted_values"
    ]  # fmt: skip
    values = test["test_metadata"]["kwargs"]["values"]
    assert set(values) == {s.value for s in Status} | {"no_primary_contact", "not_yet_processed"}
