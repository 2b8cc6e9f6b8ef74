"""The production warehouse: Snowflake, through snowflake-connector-python (optional extra).

Same shape as the DuckDB warehouse. Claims are small batches inserted with bound parameters
inside the caller's transaction; large writes go through ``write_pandas`` (a stage and one
COPY), never a commit per row. ``write_pandas`` creates a temporary stage, which is DDL and
would commit an open transaction, so it is only used outside transactions (``write_df``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pandas as pd
from pydantic import Field

from hindsight_pipeline.warehouse.base import (
    ScratchTables,
    Warehouse,
    create_scratch_sql,
)
from hindsight_pipeline.warehouse.session import Params, WarehouseSession

T = TypeVar("T")
# Above this many rows a bound INSERT becomes slow: stage the frame instead.
BOUND_INSERT_MAX_ROWS = 5_000


class SnowflakeSession:
    def __init__(self, connection: Any) -> None:
        self._con = connection

    @property
    def connection(self) -> Any:
        return self._con

    def execute(self, sql: str, params: Params = None) -> None:
        with self._con.cursor() as cur:
            cur.execute(sql, params)

    def query_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        with self._con.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
            columns = [d[0].lower() for d in cur.description]
        return pd.DataFrame.from_records(rows, columns=columns)

    def insert_df(self, table: str, df: pd.DataFrame) -> None:
        if df.empty:
            return
        columns = list(df.columns)
        placeholders = ", ".join("?" for _ in columns)
        rows = _bindable(df).itertuples(index=False, name=None)
        with self._con.cursor() as cur:
            cur.executemany(
                f"insert into {table} ({', '.join(columns)}) values ({placeholders})", list(rows)
            )


class SnowflakeWarehouse(Warehouse):
    """Snowflake, configured from SNOWFLAKE_* environment variables (secrets via EnvVar)."""

    account: str
    user: str
    password: str | None = Field(default=None, description="Password, or use private_key.")
    private_key: str | None = Field(default=None, description="PEM private key (key-pair auth).")
    role: str | None = None
    warehouse: str | None = None
    database: str
    schema_name: str = "PUBLIC"

    def _connect(self) -> Any:
        import snowflake.connector  # optional dependency: pip install '.[snowflake]'

        kwargs: dict[str, Any] = {
            "account": self.account,
            "user": self.user,
            "role": self.role,
            "warehouse": self.warehouse,
            "database": self.database,
            "schema": self.schema_name,
            "paramstyle": "qmark",
            "session_parameters": {"TIMEZONE": "UTC", "QUOTED_IDENTIFIERS_IGNORE_CASE": True},
        }
        if self.private_key:
            kwargs["private_key"] = _private_key_der(self.private_key)
        else:
            kwargs["password"] = self.password
        return snowflake.connector.connect(**{k: v for k, v in kwargs.items() if v is not None})

    def transaction(
        self, work: Callable[[WarehouseSession], T], *, scratch: ScratchTables | None = None
    ) -> T:
        con = self._connect()
        try:
            session = SnowflakeSession(con)
            # Before the transaction: DDL inside it would commit it and release its locks.
            for name, column_types in (scratch or {}).items():
                session.execute(create_scratch_sql(name, column_types))
            con.autocommit(False)
            try:
                result = work(session)
            except BaseException:
                con.rollback()
                raise
            con.commit()
            return result
        finally:
            con.close()

    def _bulk_load(
        self, session: WarehouseSession, df: pd.DataFrame, schema: str, table: str
    ) -> None:
        # Large frames through a stage and one COPY (its temporary stage is DDL: only here,
        # in write_df, never inside a ledger transaction).
        if len(df) <= BOUND_INSERT_MAX_ROWS or not isinstance(session, SnowflakeSession):
            super()._bulk_load(session, df, schema, table)
            return
        from snowflake.connector.pandas_tools import write_pandas

        frame = df.copy()
        frame.columns = [c.upper() for c in frame.columns]
        write_pandas(
            session.connection, frame, table.upper(), schema=schema.upper(), use_logical_type=True
        )

    @contextlib.contextmanager
    def exclusive_use(self) -> Iterator[None]:
        yield  # Snowflake serves many writers: nothing to hold.

    def dbt_target(self) -> str:
        return "snowflake"


def _bindable(df: pd.DataFrame) -> pd.DataFrame:
    """Values the connector can bind: Python datetimes (not pandas Timestamps), None for nulls.

    The connector picks a converter by the value's class name and has none for ``Timestamp``.
    """
    frame = df.astype(object)
    for column in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[column]):
            frame[column] = pd.Series(df[column].dt.to_pydatetime(), index=df.index, dtype=object)
        else:
            frame[column] = frame[column].map(
                lambda v: v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
            )
    return frame.where(df.notna(), None)


def _private_key_der(pem: str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
