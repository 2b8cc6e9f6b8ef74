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
ScratchTables = Mapping[str, Mapping[str, str]]
# How long a warehouse held by another process is waited out before a run gives up.
BUSY_TIMEOUT_S = 30 * 60


class Warehouse(dg.ConfigurableResource):
    """Reads query results as DataFrames and writes DataFrames in bulk.

    Every call opens a short-lived connection and one transaction, so no connection is ever
    held across an HTTP call; ``transaction`` runs a function inside one and retries it whole
    when the warehouse is busy (DuckDB allows one writer process at a time).
    """

    def transaction(
        self, work: Callable[[WarehouseSession], T], *, scratch: ScratchTables | None = None
    ) -> T:
        """Run ``work`` in one transaction; commit if it returns, roll back if it raises.

        ``scratch`` names temporary tables (name -> column types) created on the connection
        *before* the transaction begins: DDL never runs inside one, since on Snowflake it
        would commit the open transaction and release its locks.
        """
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
        """Write ``df`` to ``schema.table`` (created from ``column_types`` when given, else
        from the frame's dtypes); ``replace`` drops the table first. Returns rows written."""

        def write(session: WarehouseSession) -> int:
            session.execute(f"create schema if not exists {schema}")
            if mode == "replace":
                session.execute(f"drop table if exists {schema}.{table}")
            session.execute(create_table_sql(schema, table, column_types or sql_types_for(df)))
            self._bulk_load(session, df, schema, table)
            return len(df)

        return self.transaction(write)

    def _bulk_load(
        self, session: WarehouseSession, df: pd.DataFrame, schema: str, table: str
    ) -> None:
        session.insert_df(f"{schema}.{table}", df)

    @contextlib.contextmanager
    def exclusive_use(self) -> Iterator[None]:
        """Hold the warehouse for another process of ours (a dbt run) for the block's length."""
        yield

    def dbt_target(self) -> str:
        raise NotImplementedError

    def is_busy_error(self, error_text: str) -> bool:
        """Whether an error (as text, e.g. a dbt invocation's) means "held by another process,
        try again later"; such errors are waited out, never a failed run."""
        return False

    def busy_retry_delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` after a busy error."""
        return 1.0

    def dbt_env(self) -> dict[str, str]:
        """Environment a dbt invocation needs to reach this same warehouse."""
        return {"DBT_TARGET": self.dbt_target()}

    # Conveniences over ``transaction``.

    def query_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self.transaction(lambda session: session.query_df(sql, params))

    def execute(self, sql: str, params: Params = None) -> None:
        self.transaction(lambda session: session.execute(sql, params))

    def ensure_tables(self, schema: str, tables: Mapping[str, Mapping[str, str]]) -> None:
        """Create ``schema`` and each table (name -> column types) where absent. Idempotent;
        each statement on its own (DDL in a transaction would commit it on Snowflake)."""
        self.execute(f"create schema if not exists {schema}")
        for table, column_types in tables.items():
            self.execute(create_table_sql(schema, table, column_types))

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


def create_scratch_sql(name: str, column_types: Mapping[str, str]) -> str:
    """A session's temporary table, without the constraints of the table it stages for."""
    columns = ", ".join(
        f"{column} {sql_type.replace(' not null', '')}" for column, sql_type in column_types.items()
    )
    return f"create temporary table {name} ({columns})"


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
