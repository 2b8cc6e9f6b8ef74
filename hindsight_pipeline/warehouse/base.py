"""The warehouse resource's shape, shared by the DuckDB and Snowflake implementations."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator, Mapping
from typing import Literal, TypeVar

import dagster as dg
import pandas as pd

from hindsight_pipeline.warehouse.session import Params, WarehouseSession

T = TypeVar("T")
WriteMode = Literal["replace", "append"]


class Warehouse(dg.ConfigurableResource):
    """Reads query results as DataFrames and writes DataFrames in bulk.

    Every call opens a short-lived connection and one transaction, so no connection is ever
    held across an HTTP call; ``transaction`` runs a function inside one and retries it whole
    when the warehouse is busy (DuckDB allows one writer process at a time).
    """

    def transaction(self, work: Callable[[WarehouseSession], T]) -> T:
        raise NotImplementedError

    def write_df(
        self,
        df: pd.DataFrame,
        schema: str,
        table: str,
        *,
        mode: WriteMode = "append",
        column_types: Mapping[str, str] | None = None,
    ) -> int:
        """Write ``df`` to ``schema.table`` (created from ``column_types`` when given)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def exclusive_use(self) -> Iterator[None]:
        """Hold the warehouse for another process of ours (a dbt run) for the block's length."""
        yield

    def dbt_target(self) -> str:
        raise NotImplementedError

    def dbt_env(self) -> dict[str, str]:
        """Environment a dbt invocation needs to reach this same warehouse."""
        return {"DBT_TARGET": self.dbt_target()}

    # Conveniences over ``transaction``.

    def query_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self.transaction(lambda session: session.query_df(sql, params))

    def execute(self, sql: str, params: Params = None) -> None:
        self.transaction(lambda session: session.execute(sql, params))

    def table_exists(self, schema: str, table: str) -> bool:
        found = self.query_df(
            "select count(*) as n from information_schema.tables "
            "where lower(table_schema) = lower(?) and lower(table_name) = lower(?)",
            [schema, table],
        )
        return bool(found["n"].iloc[0])


def create_table_sql(schema: str, table: str, column_types: Mapping[str, str]) -> str:
    columns = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in column_types.items())
    return f"create table if not exists {schema}.{table} (\n    {columns}\n)"


def sql_types_for(df: pd.DataFrame) -> dict[str, str]:
    """Portable SQL column types for a DataFrame's dtypes (when no DDL is given)."""
    types: dict[str, str] = {}
    for name, dtype in df.dtypes.items():
        kind = getattr(dtype, "kind", "O")
        if pd.api.types.is_bool_dtype(dtype):
            types[str(name)] = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            types[str(name)] = "bigint"
        elif pd.api.types.is_float_dtype(dtype):
            types[str(name)] = "double"
        elif pd.api.types.is_datetime64_any_dtype(dtype) or kind == "M":
            types[str(name)] = "timestamp"
        else:
            types[str(name)] = _sql_type_of_values(df[name])
    return types


def _sql_type_of_values(column: pd.Series) -> str:
    # Object columns: judge by the first value present (dates and timestamps arrive so).
    present = column.dropna()
    first = present.iloc[0] if len(present) else None
    if isinstance(first, datetime.datetime):
        return "timestamp"
    if isinstance(first, datetime.date):
        return "date"
    if isinstance(first, bool):
        return "boolean"
    return "varchar"
