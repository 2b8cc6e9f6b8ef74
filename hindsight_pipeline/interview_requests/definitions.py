"""The interview-requests area: the send asset, its checks and resources."""

import os

import dagster as dg

from hindsight_pipeline.hindsight_api import DEFAULT_BASE_URL
from hindsight_pipeline.interview_requests.assets import interview_requests
from hindsight_pipeline.interview_requests.checks import interview_request_checks
from hindsight_pipeline.interview_requests.jobs import (
    daily_interview_requests,
    interview_requests_backfill,
)
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline.interview_requests.schedules import daily_interview_requests_schedule


def _optional_env(name: str) -> str | None:
    return os.environ.get(name) or None


def interview_requests_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[interview_requests],
        asset_checks=interview_request_checks,
        jobs=[daily_interview_requests, interview_requests_backfill],
        schedules=[daily_interview_requests_schedule],
        resources={
            "hindsight": HindsightApi(
                api_key=dg.EnvVar("HINDSIGHT_API_KEY")
                if os.environ.get("HINDSIGHT_API_KEY")
                else "",
                base_url=os.environ.get("HINDSIGHT_API_URL") or DEFAULT_BASE_URL,
                sequence_id=_optional_env("HINDSIGHT_SEQUENCE_ID"),
                interview_type_id=_optional_env("HINDSIGHT_INTERVIEW_TYPE_ID"),
            ),
            "send_policy": SendPolicy(
                paused=os.environ.get("HINDSIGHT_PAUSED", "").lower() in ("1", "true", "yes"),
                max_sends_per_run=int(os.environ["HINDSIGHT_MAX_SENDS_PER_RUN"])
                if os.environ.get("HINDSIGHT_MAX_SENDS_PER_RUN")
                else None,
                max_deal_age_days=int(os.environ["HINDSIGHT_MAX_DEAL_AGE_DAYS"])
                if os.environ.get("HINDSIGHT_MAX_DEAL_AGE_DAYS")
                else None,
            ),
        },
    )
