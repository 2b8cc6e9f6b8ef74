"""Where the project's files are: one place, so dbt, the warehouse and the demo agree."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_sql"


def data_dir() -> Path:
    """The project's data folder (HINDSIGHT_DATA_DIR overrides it), created on first use."""
    path = Path(os.environ.get("HINDSIGHT_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
