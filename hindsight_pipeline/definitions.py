"""The code location: each area defines its own assets and resources; this assembles them."""

from __future__ import annotations

import dagster as dg

from hindsight_pipeline.dbt.definitions import dbt_definitions
from hindsight_pipeline.warehouse.definitions import warehouse_definitions

defs = dg.Definitions.merge(
    warehouse_definitions(),
    dbt_definitions(),
)
