"""Dagster resources of the send: the Hindsight API account and the send policy."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from hindsight_pipeline.hindsight_api import (
    DEFAULT_BASE_URL,
    AsyncHindsightClient,
    RateLimiter,
    RetryPolicy,
)
from hindsight_pipeline.hindsight_api.client import OnAttempt
from hindsight_pipeline.interview_requests.rules import RoutingDefaults
from hindsight_pipeline.rate_limiting import api_key_fingerprint


class HindsightApi(dg.ConfigurableResource):
    """A Hindsight account: where, with which key, and the default routing.

    The key is read through ``EnvVar("HINDSIGHT_API_KEY")`` and only ever handed to the
    client, which keeps it out of reprs, logs and errors.
    """

    api_key: str = Field(description="Hindsight API key (secret): EnvVar('HINDSIGHT_API_KEY').")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="HINDSIGHT_API_URL")
    sequence_id: str | None = Field(
        default=None, description="Default sequence (HINDSIGHT_SEQUENCE_ID)."
    )
    interview_type_id: str | None = Field(
        default=None, description="Default interview type (HINDSIGHT_INTERVIEW_TYPE_ID)."
    )
    request_timeout_s: float = Field(default=30.0, description="Read timeout of one request.")

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.api_key.strip())

    @property
    def key_id(self) -> str:
        """A non-secret name for the key (``sha256-`` + 16 hex digits): the rate-limit state
        of every run and tool on the key is stored under it."""
        return api_key_fingerprint(self.api_key)

    @property
    def routing(self) -> RoutingDefaults:
        return RoutingDefaults(self.sequence_id or None, self.interview_type_id or None)

    def client(
        self, limiter: RateLimiter | None = None, on_attempt: OnAttempt | None = None
    ) -> AsyncHindsightClient:
        return AsyncHindsightClient(
            self.base_url,
            self.api_key,
            limiter=limiter,
            timeout=self.request_timeout_s,
            retry=RetryPolicy(),
            on_attempt=on_attempt,
        )


class SendPolicy(dg.ConfigurableResource):
    """Who gets interviewed and how fast: the settings RevOps and operators tune."""

    contact_cooldown_days: int = Field(
        default=90, description="A contact gets at most one interview per this many days."
    )
    max_deal_age_days: int | None = Field(
        default=None, description="Deals closed-lost longer ago than this are skipped."
    )
    max_sends_per_run: int | None = Field(default=None, description="Cap on requests per run.")
    claim_batch_size: int = Field(
        default=32, description="Rows claimed ahead of sending: the most a crash can strand."
    )
    max_in_flight: int | None = Field(
        default=None, description="Concurrent requests (default: what the plan's limit needs)."
    )
    paused: bool = Field(default=False, description="HINDSIGHT_PAUSED: send nothing at all.")
