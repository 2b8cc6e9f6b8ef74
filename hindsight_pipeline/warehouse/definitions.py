"""The warehouse area: the one ``warehouse`` resource every asset reads and writes through."""

from __future__ import annotations

import dagster as dg

from hindsight_pipeline.warehouse.resources import warehouse_from_env


def warehouse_definitions() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": warehouse_from_env()})
