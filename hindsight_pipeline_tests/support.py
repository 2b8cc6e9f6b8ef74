"""Helpers the tests share: generated warehouses and Dagster materializations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from hindsight_pipeline.demo_data import CrmFrames, DemoDataConfig, generate_crm
from hindsight_pipeline.demo_data.cli import write_crm
from hindsight_pipeline.warehouse import DuckDBWarehouse


def generate_warehouse(
    path: Path, start: date, end: date, *, deals_per_day: int = 60, seed: int = 42
) -> tuple[DuckDBWarehouse, CrmFrames]:
    warehouse = DuckDBWarehouse(path=str(path))
    frames = generate_crm(
        DemoDataConfig(start_date=start, end_date=end, deals_per_day=deals_per_day, seed=seed)
    )
    write_crm(warehouse, frames)
    return warehouse, frames


def dbt_resource() -> DbtCliResource:
    from hindsight_pipeline.dbt.project import dbt_project

    return DbtCliResource(project_dir=dbt_project)


def build_dbt(
    warehouse: DuckDBWarehouse, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInJobResult:
    """Materialize every dbt asset through Dagster against ``warehouse``."""
    from hindsight_pipeline.dbt.assets import hindsight_dbt_models

    result = dg.materialize(
        [hindsight_dbt_models],
        resources={"dbt": dbt_resource(), "warehouse": warehouse},
        instance=instance,
    )
    assert result.success
    return result
