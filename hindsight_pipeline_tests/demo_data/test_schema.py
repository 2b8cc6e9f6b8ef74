"""The frames have exactly DESIGN.md's columns, in dtypes that load as the declared types."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from hindsight_pipeline.demo_data import CrmFrames, crm_pandas_dtypes, crm_table_ddl

DESIGN_COLUMNS = {
    "accounts": [
        "account_id", "account_name", "industry", "employee_count", "annual_revenue",
        "billing_country", "segment",
    ],
    "contacts": [
        "contact_id", "account_id", "email", "first_name", "last_name", "title",
        "email_opt_out", "is_deleted",
    ],
    "opportunities": [
        "opportunity_id", "account_id", "opportunity_name", "stage_name", "is_closed", "is_won",
        "close_date", "stage_changed_at", "amount", "currency_code", "opportunity_type",
        "primary_competitor", "loss_reason", "loss_reason_detail", "product_line", "owner_name",
        "region", "created_date", "hindsight_deal_id", "is_deleted",
    ],
    "opportunity_contact_roles": ["opportunity_id", "contact_id", "role", "is_primary"],
}  # fmt: skip


def test_columns_are_design_columns_in_order(small: CrmFrames) -> None:
    assert {name: list(frame.columns) for name, frame in small.tables().items()} == DESIGN_COLUMNS
    assert {name: list(cols) for name, cols in crm_table_ddl().items()} == DESIGN_COLUMNS


def test_dtypes_are_the_documented_ones(small: CrmFrames) -> None:
    expected = crm_pandas_dtypes()
    for name, frame in small.tables().items():
        assert frame.dtypes.to_dict() == expected[name], name
    assert str(small.opportunities["stage_changed_at"].dtype) == "datetime64[us]"
    assert str(small.opportunities["close_date"].dtype) == "date32[day][pyarrow]"
    assert small.contacts["email"].dtype == pd.StringDtype("pyarrow")


def test_ddl_types() -> None:
    ddl = crm_table_ddl()
    assert ddl["opportunities"]["amount"] == "DECIMAL(18,2)"
    assert ddl["opportunities"]["close_date"] == "DATE"
    assert ddl["opportunities"]["stage_changed_at"] == "TIMESTAMP"
    assert ddl["accounts"]["employee_count"] == "INTEGER"
    assert ddl["contacts"]["email_opt_out"] == "BOOLEAN"
    ddl["accounts"]["account_id"] = "changed"  # a copy: callers cannot corrupt the contract
    assert crm_table_ddl()["accounts"]["account_id"] == "VARCHAR"


def test_frames_load_into_typed_tables_losslessly(small: CrmFrames) -> None:
    """What the warehouse writer does: CREATE TABLE from the DDL, insert the frame."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for name, columns in crm_table_ddl().items():
        definition = ", ".join(f"{column} {sql}" for column, sql in columns.items())
        connection.execute(f"CREATE TABLE {name} ({definition})")
        frame = small.tables()[name]
        connection.register("frame", frame)
        connection.execute(f"INSERT INTO {name} SELECT * FROM frame")
        connection.unregister("frame")
        assert connection.execute(f"SELECT count(*) FROM {name}").fetchone() == (len(frame),)

    opportunities = small.opportunities
    nulls = connection.execute(
        "SELECT count(*) FILTER (WHERE amount IS NULL),"
        " count(*) FILTER (WHERE stage_changed_at IS NULL),"
        " count(*) FILTER (WHERE hindsight_deal_id IS NULL),"
        " max(length(loss_reason_detail)) FROM opportunities"
    ).fetchone()
    assert nulls == (
        opportunities["amount"].isna().sum(),
        opportunities["stage_changed_at"].isna().sum(),
        opportunities["hindsight_deal_id"].isna().sum(),
        opportunities["loss_reason_detail"].str.len().max(),
    )
    # Control characters (including NUL) and unicode survive the round trip.
    details = set(
        connection.execute(
            "SELECT loss_reason_detail FROM opportunities WHERE loss_reason_detail IS NOT NULL"
        ).df()["loss_reason_detail"]
    )
    assert details == set(opportunities["loss_reason_detail"].dropna())
    stored = connection.execute(
        "SELECT close_date, stage_changed_at FROM opportunities ORDER BY opportunity_id LIMIT 1"
    ).fetchone()
    first = opportunities.sort_values("opportunity_id").iloc[0]
    assert stored == (first["close_date"], first["stage_changed_at"].to_pydatetime())


@pytest.mark.parametrize("table", list(DESIGN_COLUMNS))
def test_non_nullable_keys_have_no_nulls(small: CrmFrames, table: str) -> None:
    frame = small.tables()[table]
    key_columns = [c for c in frame.columns if c.endswith("_id") and c != "hindsight_deal_id"]
    assert not frame[key_columns].isna().any().any()
