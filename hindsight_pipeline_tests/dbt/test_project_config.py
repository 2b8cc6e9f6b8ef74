"""Project-wide dbt settings that no DuckDB run can exercise: dates in UTC on Snowflake, and
the results table's schema as a var."""

from __future__ import annotations

import json
from pathlib import Path

from hindsight_pipeline.interview_requests.schema import RESULTS_SCHEMA
from hindsight_pipeline.paths import DBT_PROJECT_DIR


def test_every_model_sets_a_snowflake_session_to_utc_first(dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) >= 8
    for node in models:
        hooks = [hook["sql"] for hook in node["config"]["pre-hook"]]
        assert "{{ utc_session_sql() }}" in hooks, node["name"]
    macro = (DBT_PROJECT_DIR / "macros" / "utc.sql").read_text(encoding="utf-8")
    guarded = macro.split("macro utc_session_sql()", 1)[1].split("endmacro", 1)[0]
    assert "target.type == 'snowflake'" in guarded
    assert "alter session set timezone = 'UTC'" in guarded
    # The stage change is converted to UTC explicitly where the CRM lands it with a zone.
    staging = (DBT_PROJECT_DIR / "models" / "staging" / "stg_crm__opportunities.sql").read_text(
        encoding="utf-8"
    )
    assert "to_utc_timestamp('stage_changed_at')" in staging
    assert "convert_timezone('UTC'" in macro


def test_the_results_table_schema_is_a_var_defaulting_to_where_python_writes(
    dbt_manifest: Path,
) -> None:
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    source = manifest["sources"]["source.hindsight_dbt.hindsight.interview_requests"]
    assert source["schema"] == RESULTS_SCHEMA
    project = (DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")
    assert f"hindsight_schema: {RESULTS_SCHEMA}" in project
