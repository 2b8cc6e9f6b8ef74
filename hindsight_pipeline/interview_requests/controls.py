"""Operator controls that act on running runs: the pause switch, kept in the warehouse.

A row in ``hindsight.pipeline_controls`` (set with ``hindsight-ops pause`` / ``resume``) is
read before every claim, so pausing stops all sends on every host within one batch, and
the runs finish green with what they had sent. HINDSIGHT_PAUSED=true pauses too.
"""

from __future__ import annotations

from hindsight_pipeline.interview_requests.schema import RESULTS_SCHEMA, warehouse_now
from hindsight_pipeline.warehouse import Warehouse, WarehouseSession

CONTROLS_TABLE = f"{RESULTS_SCHEMA}.pipeline_controls"
CONTROLS_COLUMNS = {
    "name": "varchar not null",
    "value": "varchar",
    "updated_at": "timestamp not null",
    "updated_by": "varchar",
}


def ensure_controls_table(warehouse: Warehouse) -> None:
    warehouse.ensure_tables(RESULTS_SCHEMA, {"pipeline_controls": CONTROLS_COLUMNS})


def sends_paused(warehouse: Warehouse) -> bool:
    found = warehouse.query_df(
        f"select value from {CONTROLS_TABLE} where name = 'paused' order by updated_at desc limit 1"
    )
    return bool(len(found)) and str(found["value"].iloc[0]).lower() == "true"


def set_paused(warehouse: Warehouse, paused: bool, *, by: str) -> None:
    ensure_controls_table(warehouse)

    def write(session: WarehouseSession) -> None:
        session.execute(f"delete from {CONTROLS_TABLE} where name = 'paused'")
        session.execute(
            f"insert into {CONTROLS_TABLE} (name, value, updated_at, updated_by) values (?, ?, ?, ?)",
            ["paused", "true" if paused else "false", warehouse_now(), by],
        )

    warehouse.transaction(write)
