"""Hindsight's plans and the request limit each gives an API key (part of the API's contract).

The one copy of these figures: the rate limiter (:mod:`hindsight_pipeline.rate_limiting`)
and the local Hindsight server both read them from here.
"""

from __future__ import annotations

from enum import StrEnum


class Plan(StrEnum):
    """Hindsight's plans; each allows a number of requests per minute on one API key."""

    ESSENTIALS = "essentials"
    GROWTH = "growth"
    ENTERPRISE = "enterprise"


PLAN_LIMITS_PER_MINUTE: dict[Plan, int] = {
    Plan.ESSENTIALS: 60,
    Plan.GROWTH: 300,
    Plan.ENTERPRISE: 1000,
}
PLAN_WINDOW_SECONDS = 60.0
