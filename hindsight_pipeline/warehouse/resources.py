"""The one switch between the embedded DuckDB warehouse and Snowflake (WAREHOUSE)."""

from __future__ import annotations

import os

import dagster as dg

from hindsight_pipeline.warehouse.base import Warehouse
from hindsight_pipeline.warehouse.duckdb_warehouse import DuckDBWarehouse
from hindsight_pipeline.warehouse.snowflake_warehouse import SnowflakeWarehouse


def warehouse_kind() -> str:
    kind = os.environ.get("WAREHOUSE", "duckdb").strip().lower()
    if kind not in ("duckdb", "snowflake"):
        raise ValueError(f"WAREHOUSE must be 'duckdb' or 'snowflake', not {kind!r}")
    return kind


def warehouse_from_env() -> Warehouse:
    if warehouse_kind() == "snowflake":
        return SnowflakeWarehouse(
            account=dg.EnvVar("SNOWFLAKE_ACCOUNT"),
            user=dg.EnvVar("SNOWFLAKE_USER"),
            password=dg.EnvVar("SNOWFLAKE_PASSWORD") if os.getenv("SNOWFLAKE_PASSWORD") else None,
            private_key=(
                dg.EnvVar("SNOWFLAKE_PRIVATE_KEY") if os.getenv("SNOWFLAKE_PRIVATE_KEY") else None
            ),
            role=os.getenv("SNOWFLAKE_ROLE"),
            warehouse=os.getenv("SNOWFLAKE_WAREHOUSE"),
            database=dg.EnvVar("SNOWFLAKE_DATABASE"),
            schema_name=os.getenv("SNOWFLAKE_SCHEMA", "PUBLIC"),
        )
    return DuckDBWarehouse(path=os.environ.get("DUCKDB_PATH", ""))
