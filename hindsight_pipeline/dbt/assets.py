"""dbt models as Dagster assets: the models upstream of the send asset (staging views, the
interview candidates), and the analysts' marts downstream of it (models/marts)."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from hindsight_pipeline.dbt.project import dbt_project
from hindsight_pipeline.dbt.translator import CRM_SOURCE, HindsightDbtTranslator
from hindsight_pipeline.interview_requests.ledger import ensure_ledger_tables
from hindsight_pipeline.warehouse import Warehouse
from hindsight_pipeline.warehouse.base import BUSY_TIMEOUT_S

# The marts: dbt_sql/models/marts, with the `hindsight` source they read and its tests (a dbt
# selector: `dbt build --select marts` by hand).
MARTS_SELECTOR = "marts"


@contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    # dagster-dbt passes os.environ to the dbt process; this is how it learns the warehouse.
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _dbt_build(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
) -> Iterator[Any]:
    """``dbt build`` of the selected nodes, holding the warehouse.

    A dbt run that meets the warehouse held by a process outside our lock (a DuckDB shell, a
    dbt run started by hand) fails at connect, before building anything: it is started
    again, with the same deadline as every other warehouse access.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    with warehouse.exclusive_use(), _environ(warehouse.dbt_env()):
        attempt = 0
        while True:
            attempt += 1
            invocation = dbt.cli(["build"], context=context, raise_on_error=False)
            yielded = 0
            for event in invocation.stream():
                yielded += 1
                yield event
            if invocation.is_successful():
                return
            error = invocation.get_error()
            busy = error is not None and warehouse.is_busy_error(str(error))
            if yielded or not busy or time.monotonic() > deadline:
                raise error or dg.Failure("dbt build failed")
            context.log.warning(f"Warehouse held by another process (dbt attempt {attempt})")
            time.sleep(max(2.0, warehouse.busy_retry_delay(attempt)))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=MARTS_SELECTOR,
    dagster_dbt_translator=HindsightDbtTranslator(),
)
def hindsight_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
) -> Iterator[Any]:
    """Build (run + test) the CRM staging views and the interview candidates."""
    yield from _dbt_build(context, dbt, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=MARTS_SELECTOR,
    dagster_dbt_translator=HindsightDbtTranslator(),
)
def hindsight_dbt_marts(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
) -> Iterator[Any]:
    """Build (run + test) the analysts' marts over the results table.

    They run after the send asset, which creates hindsight.interview_requests; the table is
    also ensured here (the ledger's own idempotent DDL), so the marts build on a fresh
    warehouse when materialized alone (every candidate then shows as not_yet_processed).
    """
    ensure_ledger_tables(warehouse)
    yield from _dbt_build(context, dbt, warehouse)


crm_source_specs = [
    dg.AssetSpec(
        key=dg.AssetKey([CRM_SOURCE, table]),
        group_name=CRM_SOURCE,
        description=f"Raw CRM table crm.{table}, landed by the CRM sync (not built here).",
        kinds={"duckdb", "snowflake"},
    )
    for table in ("accounts", "contacts", "opportunities", "opportunity_contact_roles")
]
