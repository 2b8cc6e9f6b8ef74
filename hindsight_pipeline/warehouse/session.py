"""What the pipeline may do inside one warehouse transaction, whatever the warehouse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd

Params = Sequence[Any] | None


class WarehouseSession(Protocol):
    """One short-lived connection inside one transaction. SQL uses `?` placeholders."""

    def execute(self, sql: str, params: Params = None) -> None: ...

    def query_df(self, sql: str, params: Params = None) -> pd.DataFrame: ...

    def insert_df(self, table: str, df: pd.DataFrame) -> None:
        """Append ``df`` to ``table`` in bulk, matching columns by name."""
        ...
