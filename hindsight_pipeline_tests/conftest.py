"""Shared fixtures: the dbt manifest prepared once, generated DuckDB warehouses, dbt built
through Dagster, and a local Hindsight server over real loopback HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hindsight_pipeline_tests.support import build_dbt, generate_warehouse

# Tests must never reach the real API or write the developer's data folder.
os.environ.pop("HINDSIGHT_API_KEY", None)
os.environ.setdefault("HINDSIGHT_API_URL", "http://127.0.0.1:9/api/v1")


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The dbt manifest, prepared once per session (``prepare_if_dev`` only does it under
    ``dagster dev``)."""
    from hindsight_pipeline.dbt.prepare import prepare
    from hindsight_pipeline.dbt.project import dbt_project

    prepare()
    return dbt_project.manifest_path


# Three days of deals; a small, complete CRM with every kind of dirt (see demo_data/scenarios).
DEMO_START = date(2026, 11, 1)
DEMO_END = date(2026, 11, 3)


@pytest.fixture(scope="session")
def built_warehouse(
    tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path
) -> Iterator[object]:
    """A generated DuckDB warehouse with the dbt models built through Dagster, shared
    read-only by the tests that only look at the dbt models."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    warehouse, frames = generate_warehouse(path, DEMO_START, DEMO_END, deals_per_day=60)
    build_dbt(warehouse)
    yield warehouse, frames
