"""A local stand-in for the Hindsight API, for development, tests and benchmarks.

Serves POST/GET/PATCH /interviews and GET /deals under /api/v1 as the reference describes,
with the plan's rate limit per fixed window, fault injection and a log of every request.
Never emails anyone. See docs/local-hindsight-server.md. No Dagster inside.
"""

from hindsight_pipeline.local_server.app import create_app
from hindsight_pipeline.local_server.config import (
    DEFAULT_API_KEY,
    DEFAULT_INTERVIEW_TYPE_IDS,
    DEFAULT_SEQUENCE_IDS,
    PLAN_LIMITS,
    ServerConfig,
    generate_deals,
    load_deals_file,
)
from hindsight_pipeline.local_server.faults import FaultConfig, FaultRule, LatencyConfig
from hindsight_pipeline.local_server.harness import LocalHindsightServer, start_server_process
from hindsight_pipeline.local_server.state import HindsightState

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_INTERVIEW_TYPE_IDS",
    "DEFAULT_SEQUENCE_IDS",
    "PLAN_LIMITS",
    "FaultConfig",
    "FaultRule",
    "HindsightState",
    "LatencyConfig",
    "LocalHindsightServer",
    "ServerConfig",
    "create_app",
    "generate_deals",
    "load_deals_file",
    "start_server_process",
]
