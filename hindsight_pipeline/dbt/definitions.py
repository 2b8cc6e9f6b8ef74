"""The dbt area: the CRM sources, the dbt models and marts, and the dbt CLI resource."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from hindsight_pipeline.dbt.assets import (
    crm_source_specs,
    hindsight_dbt_marts,
    hindsight_dbt_models,
)
from hindsight_pipeline.dbt.project import dbt_project


def dbt_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[*crm_source_specs, hindsight_dbt_models, hindsight_dbt_marts],
        resources={"dbt": DbtCliResource(project_dir=dbt_project)},
    )
