"""The dbt project (dbt_sql/) as Dagster sees it.

The manifest is prepared once (``python -m hindsight_pipeline.dbt.prepare``, run by the
Makefile, CI and the test session) and read from disk at every definitions load; under
``dagster dev`` it is re-prepared so edits to the SQL show up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from hindsight_pipeline.paths import DBT_PROJECT_DIR
from hindsight_pipeline.warehouse.resources import warehouse_kind

# dbt is installed beside this interpreter; make it findable when the venv is not activated
# (``.venv/bin/dagster dev``, cron, CI).
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target=warehouse_kind())
dbt_project.prepare_if_dev()
