"""Prepare the dbt manifest outside ``dagster dev``: ``python -m hindsight_pipeline.dbt.prepare``."""

from __future__ import annotations

from hindsight_pipeline.dbt.project import dbt_project


def prepare() -> None:
    dbt_project.preparer.prepare(dbt_project)


if __name__ == "__main__":
    prepare()
    print(f"dbt manifest ready: {dbt_project.manifest_path}")
