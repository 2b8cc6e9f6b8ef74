"""``make dev``: the Dagster UI on the demo warehouse, with the local Hindsight server running
(if ``.env`` points at it). ``dagster dev`` loads ``.env`` itself."""

from __future__ import annotations

import os
import subprocess
import sys

from hindsight_pipeline.demo.__main__ import DAGSTER_HOME, start_local_server
from hindsight_pipeline.demo.env_file import ensure_env_file, points_at_local_server
from hindsight_pipeline.paths import PROJECT_ROOT


def main() -> int:
    env = {**ensure_env_file(), **os.environ}
    env.setdefault("DAGSTER_HOME", str(DAGSTER_HOME))
    server = (
        start_local_server(env.get("HINDSIGHT_PLAN", "enterprise"))
        if points_at_local_server(env)
        else None
    )
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    try:
        return subprocess.call([dagster, "dev"], env=env, cwd=PROJECT_ROOT)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
