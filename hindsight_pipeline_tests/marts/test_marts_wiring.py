"""The marts' place in the code location and in the dbt docs: where they run, what they read,
and that every table and column an analyst sees is described."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from hindsight_pipeline.dbt.assets import hindsight_dbt_marts, hindsight_dbt_models
from hindsight_pipeline.interview_requests.assets import INTERVIEW_REQUESTS_KEY
from hindsight_pipeline.interview_requests.rules import SkipReason
from hindsight_pipeline.interview_requests.schema import RESULTS_COLUMNS, Status
from hindsight_pipeline.warehouse import DuckDBWarehouse
from hindsight_pipeline_tests.marts.conftest import MartsRun
from hindsight_pipeline_tests.support import dbt_resource

MARTS_SCHEMA = "hindsight_marts"


@pytest.fixture(scope="module")
def manifest(dbt_manifest: Path) -> dict:
    return json.loads(dbt_manifest.read_text(encoding="utf-8"))


def _mart_nodes(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["schema"] == MARTS_SCHEMA
    ]


def test_the_code_location_runs_the_marts_after_the_send_and_defines_its_table_once() -> None:
    from hindsight_pipeline.definitions import defs

    daily = defs.resolve_job_def("daily_interview_requests").asset_layer.selected_asset_keys
    marts = set(hindsight_dbt_marts.keys)
    assert len(marts) == 4 and all(key.path[0] == MARTS_SCHEMA for key in marts)
    assert marts | {INTERVIEW_REQUESTS_KEY} | set(hindsight_dbt_models.keys) <= daily
    backfill = defs.resolve_job_def("interview_requests_backfill").asset_layer.selected_asset_keys
    assert backfill == {INTERVIEW_REQUESTS_KEY}
    # The dbt models and the marts are two disjoint dbt assets; the results table is the send
    # asset's, only a dependency of the marts.
    assert not marts & set(hindsight_dbt_models.keys)
    assert INTERVIEW_REQUESTS_KEY not in set(hindsight_dbt_marts.keys)
    assert INTERVIEW_REQUESTS_KEY not in {
        d for deps in hindsight_dbt_models.asset_deps.values() for d in deps
    }
    specs = [spec.key for spec in defs.resolve_all_asset_specs()]
    assert specs.count(INTERVIEW_REQUESTS_KEY) == 1
    graph = defs.resolve_asset_graph()
    fact = dg.AssetKey([MARTS_SCHEMA, "fct_interview_outcomes"])
    assert INTERVIEW_REQUESTS_KEY in graph.get(fact).parent_keys
    assert graph.get(INTERVIEW_REQUESTS_KEY).is_materializable


def _model_nodes(manifest: dict) -> list[dict]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_every_model_and_column_is_described(marts_run: MartsRun, manifest: dict) -> None:
    """Staging, interviews and marts alike: a description for the model and for each column,
    documented in the order the built table has them (the job built them all)."""
    nodes = _model_nodes(manifest)
    schemas = {node["config"]["schema"] for node in nodes}
    assert schemas == {"crm_staging", "hindsight_prep", MARTS_SCHEMA}
    marts = {node["name"] for node in nodes if node["config"]["schema"] == MARTS_SCHEMA}
    assert marts == {key.path[1] for key in hindsight_dbt_marts.keys}
    for node in nodes:
        assert len(node["description"]) > 40, node["name"]
        built = marts_run.query(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [node["config"]["schema"], node["name"]],
        )["column_name"].tolist()
        assert len(built) > 3, node["name"]
        assert list(node["columns"]) == built, node["name"]  # documented in the built order
        undocumented = [
            name for name, column in node["columns"].items() if len(column["description"]) < 10
        ]
        assert undocumented == [], node["name"]


def test_every_crm_source_table_and_column_is_described(manifest: dict) -> None:
    """The crm source documents the whole input contract (DESIGN.md), column for column."""
    from hindsight_pipeline.demo_data.frames import CRM_COLUMNS

    sources = {
        node["name"]: node for node in manifest["sources"].values() if node["source_name"] == "crm"
    }
    assert set(sources) == set(CRM_COLUMNS)
    for table, node in sources.items():
        assert len(node["description"]) > 20, table
        assert list(node["columns"]) == list(CRM_COLUMNS[table]), table
        undocumented = [
            name for name, column in node["columns"].items() if len(column["description"]) < 10
        ]
        assert undocumented == [], table


def test_completion_columns_are_documented_as_reserved(manifest: dict) -> None:
    columns = {
        (node["name"], name): column["description"]
        for node in _mart_nodes(manifest)
        for name, column in node["columns"].items()
    }
    reserved = [
        key
        for key in columns
        if key[1] in ("completed_count", "completion_rate", "completed_at", "is_completed")
    ]
    assert len(reserved) == 6
    assert all("Reserved" in columns[key] and "null" in columns[key] for key in reserved)


def test_the_results_table_is_a_documented_source(manifest: dict) -> None:
    source = manifest["sources"]["source.hindsight_dbt.hindsight.interview_requests"]
    assert source["schema"] == "hindsight"
    assert list(source["columns"]) == list(RESULTS_COLUMNS)
    assert all(len(column["description"]) > 10 for column in source["columns"].values())
    for status in Status:
        assert f"{status.value} =" in source["columns"]["status"]["description"]
    tests = [
        node for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and source["unique_id"] in node["depends_on"]["nodes"]
    ]  # fmt: skip
    accepted = [t for t in tests if t["test_metadata"]["name"] == "accepted_values"]
    assert len(accepted) == 1
    assert accepted[0]["test_metadata"]["kwargs"]["values"] == [s.value for s in Status]
    assert accepted[0]["config"]["severity"].lower() == "warn"


def test_the_daily_funnel_has_a_column_for_every_skip_reason(marts_run: MartsRun) -> None:
    columns = set(
        marts_run.query("select * from hindsight_marts.interview_funnel_daily limit 0").columns
    )
    python_reasons = {v for k, v in vars(SkipReason).items() if k.isupper()}
    sql_reasons = {"opted_out", "internal_domain", "below_minimum_amount"}
    assert len(python_reasons) >= 7
    assert {f"skipped_{reason}" for reason in python_reasons | sql_reasons} <= columns


def test_the_models_build_without_the_results_table_and_the_marts_build_alone(
    built_warehouse: tuple, tmp_path: Path
) -> None:
    """The models asset never touches the marts (a fresh warehouse has no results table yet);
    the marts materialized alone there create it empty and show every candidate waiting."""
    template, _ = built_warehouse
    assert not template.table_exists("hindsight", "interview_requests")
    assert not template.table_exists(MARTS_SCHEMA, "interview_funnel_daily")
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(template.database_path, path)
    warehouse = DuckDBWarehouse(path=str(path))
    result = dg.materialize(
        [hindsight_dbt_marts], resources={"dbt": dbt_resource(), "warehouse": warehouse}
    )
    assert result.success
    funnel = warehouse.query_df(
        "select sum(candidates) as candidates, sum(not_yet_processed) as waiting, "
        "sum(requests_recorded) as recorded from hindsight_marts.interview_funnel_daily"
    ).iloc[0]
    candidates = warehouse.query_df(
        "select count(*) as n from hindsight_prep.closed_lost_interview_candidates"
    )
    assert funnel["candidates"] == funnel["waiting"] == candidates["n"].iloc[0] > 50
    assert funnel["recorded"] == 0
    assert pd.isna(
        warehouse.query_df(
            "select max(send_rate) as r from hindsight_marts.interview_funnel_daily"
        )["r"].iloc[0]
    )
