"""The demo's ``.env`` (which ``dagster dev`` loads): it points at the local Hindsight server,
so nobody real is ever emailed by accident. A real key and URL in it switch to the real API."""

from __future__ import annotations

from pathlib import Path

from hindsight_pipeline.local_server.config import DEFAULT_API_KEY
from hindsight_pipeline.paths import PROJECT_ROOT

ENV_FILE = PROJECT_ROOT / ".env"
LOCAL_PORT = 8765
LOCAL_URL = f"http://127.0.0.1:{LOCAL_PORT}/api/v1"

DEMO_ENV = {
    "HINDSIGHT_API_URL": LOCAL_URL,
    "HINDSIGHT_API_KEY": DEFAULT_API_KEY,
    "HINDSIGHT_PLAN": "enterprise",
    "HINDSIGHT_SEQUENCE_ID": "seq_winloss_default",
    "WAREHOUSE": "duckdb",
}


def read_env_file(path: Path = ENV_FILE) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def ensure_env_file(path: Path = ENV_FILE) -> dict[str, str]:
    """Write the demo ``.env`` if there is none; returns what it holds."""
    if not path.exists():
        lines = [
            "# Written by the demo: the local Hindsight server (hindsight-local-server).",
            "# Put a real HINDSIGHT_API_KEY and HINDSIGHT_API_URL here to use the real API.",
            *(f"{key}={value}" for key, value in DEMO_ENV.items()),
        ]
        path.write_text("\n".join(lines) + "\n")
    return read_env_file(path)


def points_at_local_server(env: dict[str, str]) -> bool:
    url = env.get("HINDSIGHT_API_URL", "")
    return url.startswith(("http://127.0.0.1", "http://localhost"))
