"""dbt models as Dagster assets: the models upstream of the send asset (staging views, the
interview candidates), and the analysts' marts downstream of it (models/marts)."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from hindsight_pipeline.dbt.project import dbt_project
from hindsight_pipeline.dbt.translator import CRM_SOURCE, HindsightDbtTranslator
from hindsight_pipeline.interview_requests.ledger import ensure_ledger_tables
from hindsight_pipeline.warehouse import Warehouse

# A dbt run that meets a DuckDB file held by a process outside our lock fails at connect,
# before building anything: such a run is started again, a bounded number of times.
LOCK_CONFLICT_RETRIES = 20
LOCK_CONFLICT_MARKERS = ("Could not set lock on file", "Conflicting lock is held")
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
    """``dbt build`` of the selected nodes, holding the warehouse; a lock conflict is retried."""
    with warehouse.exclusive_use(), _environ(warehouse.dbt_env()):
        for attempt in range(1, LOCK_CONFLICT_RETRIES + 1):
            invocation = dbt.cli(["build"], context=context, raise_on_error=False)
            yielded = 0
            for event in invocation.stream():
                yielded += 1
                yield event
            if invocation.is_successful():
                return
            if yielded or not _met_lock_conflict(invocation):
                raise invocation.get_error() or dg.Failure("dbt build failed")
            context.log.warning(f"DuckDB file held by another process (dbt attempt {attempt})")
            time.sleep(min(30.0, 2.0 * attempt))
        raise dg.Failure("dbt could not open the warehouse: the file stayed locked.")


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


def _met_lock_conflict(invocation: DbtCliInvocation) -> bool:
    error = invocation.get_error()
    return error is not None and any(marker in str(error) for marker in LOCK_CONFLICT_MARKERS)


crm_source_specs = [
    dg.AssetSpec(
        key=dg.AssetKey([CRM_SOURCE, table]),
        group_name=CRM_SOURCE,
        description=f"Raw CRM table crm.{table}, landed by the CRM sync (not built here).",
        kinds={"duckdb", "snowflake"},
    )
    for table in ("accounts", "contacts", "opportunities", "opportunity_contact_roles")
]
