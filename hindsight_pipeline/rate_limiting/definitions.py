"""The rate-limiting area: one limiter resource, configured from the environment.

``HINDSIGHT_PLAN`` (not secret) is passed as it is. ``HINDSIGHT_RATE_LIMIT_STORE`` may be a
``redis://`` or ``postgresql://`` URL with a password, so it goes through ``dg.EnvVar``:
the Dagster UI shows the variable's name, never its value. ``HINDSIGHT_RATE_LIMIT_SHARE``
is read by the resource when a run uses it (see ``HindsightRateLimiter.resolved_share``),
so a bad value fails the sending runs with the variable named instead of the code
location at load.
"""

from __future__ import annotations

import os

import dagster as dg

from hindsight_pipeline.rate_limiting.resource import STORE_ENV_VAR, HindsightRateLimiter


def rate_limiting_definitions() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "rate_limiter": HindsightRateLimiter(
                plan=os.environ.get("HINDSIGHT_PLAN", "essentials"),
                # Unset: the resource's default, the project's data folder.
                store_url=dg.EnvVar(STORE_ENV_VAR) if os.environ.get(STORE_ENV_VAR) else None,
            )
        }
    )
