"""The rate-limiting area: one limiter resource, configured from the environment."""

from __future__ import annotations

import os

import dagster as dg

from hindsight_pipeline.rate_limiting.resource import HindsightRateLimiter


def rate_limiting_definitions() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "rate_limiter": HindsightRateLimiter(
                plan=os.environ.get("HINDSIGHT_PLAN", "essentials"),
                share=float(os.environ.get("HINDSIGHT_RATE_LIMIT_SHARE", "1.0")),
                store_url=os.environ.get("HINDSIGHT_RATE_LIMIT_STORE") or None,
            )
        }
    )
