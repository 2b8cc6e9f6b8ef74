"""The raw CRM tables' columns (DESIGN.md, "Input: raw CRM tables") and their pandas dtypes.

SQL type -> pandas dtype, chosen so the frames load into DuckDB (and Snowflake through
Arrow) as the declared type without a cast and keep NULLs as NULLs:

| SQL           | pandas dtype                    | null           |
|---------------|---------------------------------|----------------|
| VARCHAR       | string[pyarrow]                 | pd.NA          |
| INTEGER       | Int32                           | pd.NA          |
| DECIMAL(18,2) | Float64, rounded to 2 places    | pd.NA          |
| BOOLEAN       | bool (numpy; never null here)   | —              |
| DATE          | date32[day][pyarrow]            | pd.NA          |
| TIMESTAMP     | datetime64[us], naive, UTC      | NaT            |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

STRING_DTYPE = pd.StringDtype("pyarrow")
DATE_DTYPE = pd.ArrowDtype(pa.date32())
TIMESTAMP_DTYPE = np.dtype("datetime64[us]")

_PANDAS_DTYPES: dict[str, object] = {
    "VARCHAR": STRING_DTYPE,
    "INTEGER": pd.Int32Dtype(),
    "DECIMAL(18,2)": pd.Float64Dtype(),
    "BOOLEAN": np.dtype(bool),
    "DATE": DATE_DTYPE,
    "TIMESTAMP": TIMESTAMP_DTYPE,
}

# Column order is the order of DESIGN.md's table.
CRM_COLUMNS: dict[str, dict[str, str]] = {
    "accounts": {
        "account_id": "VARCHAR",
        "account_name": "VARCHAR",
        "industry": "VARCHAR",
        "employee_count": "INTEGER",
        "annual_revenue": "DECIMAL(18,2)",
        "billing_country": "VARCHAR",
        "segment": "VARCHAR",
    },
    "contacts": {
        "contact_id": "VARCHAR",
        "account_id": "VARCHAR",
        "email": "VARCHAR",
        "first_name": "VARCHAR",
        "last_name": "VARCHAR",
        "title": "VARCHAR",
        "email_opt_out": "BOOLEAN",
        "is_deleted": "BOOLEAN",
    },
    "opportunities": {
        "opportunity_id": "VARCHAR",
        "account_id": "VARCHAR",
        "opportunity_name": "VARCHAR",
        "stage_name": "VARCHAR",
        "is_closed": "BOOLEAN",
        "is_won": "BOOLEAN",
        "close_date": "DATE",
        "stage_changed_at": "TIMESTAMP",
        "amount": "DECIMAL(18,2)",
        "currency_code": "VARCHAR",
        "opportunity_type": "VARCHAR",
        "primary_competitor": "VARCHAR",
        "loss_reason": "VARCHAR",
        "loss_reason_detail": "VARCHAR",
        "product_line": "VARCHAR",
        "owner_name": "VARCHAR",
        "region": "VARCHAR",
        "created_date": "DATE",
        "hindsight_deal_id": "VARCHAR",
        "is_deleted": "BOOLEAN",
    },
    "opportunity_contact_roles": {
        "opportunity_id": "VARCHAR",
        "contact_id": "VARCHAR",
        "role": "VARCHAR",
        "is_primary": "BOOLEAN",
    },
}


def crm_table_ddl() -> dict[str, dict[str, str]]:
    """Table -> column -> SQL type, in DESIGN.md's order, for CREATE TABLE in `crm`.

    The types are valid in both DuckDB and Snowflake. No PRIMARY KEY is declared: the CRM
    sync delivers duplicate rows (the staging models de-duplicate), and Snowflake would
    not enforce one anyway.
    """
    return {table: dict(columns) for table, columns in CRM_COLUMNS.items()}


def crm_pandas_dtypes() -> dict[str, dict[str, object]]:
    """Table -> column -> the pandas dtype `generate_crm` produces for it."""
    return {
        table: {name: _PANDAS_DTYPES[sql] for name, sql in columns.items()}
        for table, columns in CRM_COLUMNS.items()
    }


@dataclass(frozen=True)
class CrmFrames:
    """The four raw CRM tables, plus a record of the dirt put into them.

    `dirt` has one row per dirty thing (columns kind, opportunity_id, contact_id,
    scenario): `scenario` rows are the hand-built cases that are otherwise clean closed-lost
    deals (see scenarios.py); the others come from the bulk rates. It is not a CRM table.
    """

    accounts: pd.DataFrame
    contacts: pd.DataFrame
    opportunities: pd.DataFrame
    opportunity_contact_roles: pd.DataFrame
    dirt: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Table name in schema `crm` -> frame, for the warehouse writer."""
        return {
            "accounts": self.accounts,
            "contacts": self.contacts,
            "opportunities": self.opportunities,
            "opportunity_contact_roles": self.opportunity_contact_roles,
        }
