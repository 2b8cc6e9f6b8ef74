"""The limit follows the plan setting (or an explicit limit) and the share."""

from __future__ import annotations

import dagster as dg
import pytest

from hindsight_pipeline.rate_limiting import (
    HindsightRateLimiter,
    Plan,
    RateLimitPolicy,
    resolve_policy,
)
from hindsight_pipeline.rate_limiting.plans import default_arrival_guard


@pytest.mark.parametrize(
    ("plan", "limit"),
    [
        ("essentials", 60),
        ("growth", 300),
        ("enterprise", 1000),
        (" Growth ", 300),
        (Plan.ENTERPRISE, 1000),
    ],
)
def test_each_plan_sets_its_limit_per_minute(plan: str, limit: int) -> None:
    policy = resolve_policy(plan)
    assert (policy.limit_per_window, policy.window_seconds, policy.effective_limit) == (
        limit,
        60.0,
        limit,
    )


@pytest.mark.parametrize(("share", "expected"), [(1.0, 300), (0.5, 150), (0.3, 90), (0.001, 1)])
def test_the_share_takes_a_fraction_of_the_limit_at_least_one(share: float, expected: int) -> None:
    assert resolve_policy("growth", share=share).effective_limit == expected


def test_an_explicit_limit_and_window_override_the_plan() -> None:
    policy = resolve_policy("enterprise", limit_per_window=20, window_seconds=2.0, share=0.5)
    assert (policy.limit_per_window, policy.window_seconds, policy.effective_limit) == (20, 2.0, 10)


def test_bad_settings_are_refused_with_the_setting_named() -> None:
    with pytest.raises(ValueError, match="unknown Hindsight plan 'gold'"):
        resolve_policy("gold")
    with pytest.raises(ValueError, match="window_seconds applies to an explicit"):
        resolve_policy("growth", window_seconds=30)
    with pytest.raises(ValueError, match="share"):
        resolve_policy("growth", share=0)
    with pytest.raises(ValueError, match="share"):
        resolve_policy("growth", share=1.5)
    with pytest.raises(ValueError, match="limit_per_window"):
        RateLimitPolicy(0, 60)


def test_the_guard_is_small_next_to_the_window() -> None:
    assert default_arrival_guard(60) == 0.5
    assert default_arrival_guard(2) == pytest.approx(0.04)
    policy = resolve_policy("essentials")
    assert policy.span_seconds == 60.5
    assert policy.sustained_per_minute == pytest.approx(60 * 60 / 60.5)
    assert RateLimitPolicy(20, 2.0, arrival_guard_seconds=0.1).span_seconds == pytest.approx(2.1)


def test_a_lower_server_limit_caps_the_policy() -> None:
    policy = resolve_policy("growth", share=0.5)
    assert policy.with_server_limit(60).effective_limit == 30
    assert policy.with_server_limit(1000) is policy


def test_the_resource_follows_the_plan_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HINDSIGHT_PLAN", "growth")
    resource = HindsightRateLimiter(plan=dg.EnvVar("HINDSIGHT_PLAN"), share=0.5)

    @dg.asset
    def limits(rate_limiter: HindsightRateLimiter) -> dict:
        return {
            "limit": rate_limiter.effective_limit,
            "per_minute": rate_limiter.effective_limit_per_minute,
        }

    result = dg.materialize([limits], resources={"rate_limiter": resource})
    assert result.output_for_node("limits") == {"limit": 150, "per_minute": 150.0}


def test_the_resource_s_properties_and_concurrency(tmp_path) -> None:  # type: ignore[no-untyped-def]
    resource = HindsightRateLimiter(
        plan="enterprise",
        store_url=str(tmp_path),
        key_id="sha256-abc",
        expected_latency_seconds=0.3,
    )
    assert resource.effective_limit == 1000
    # 16.7/s x 0.3 s x 2 headroom = 10 in flight.
    assert resource.concurrency == 10
    assert HindsightRateLimiter(max_in_flight=3).concurrency == 3
    assert resource.resolved_store_url == str(tmp_path)
    line = resource.describe()
    assert "plan enterprise (1000/min)" in line and "file store" in line
    explicit = HindsightRateLimiter(limit_per_window=20, window_seconds=2, share=0.5)
    assert explicit.effective_limit == 10 and "20/2s" in explicit.describe()


def test_the_resource_never_shows_a_store_password() -> None:
    resource = HindsightRateLimiter(store_url="postgresql://app:s3cret@db.internal:5432/limits")
    assert "s3cret" not in resource.describe()
    assert "app:***@db.internal" in resource.describe()
