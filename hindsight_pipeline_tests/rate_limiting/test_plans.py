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


def test_the_guard_is_small_next_to_the_window_and_never_too_thin() -> None:
    assert default_arrival_guard(60) == 0.5  # 2 %, capped
    assert default_arrival_guard(10) == pytest.approx(0.2)  # 2 %
    # Short windows: at least 100 ms (a loaded host delays arrivals by tens of ms)...
    assert default_arrival_guard(3) == pytest.approx(0.1)
    assert default_arrival_guard(2) == pytest.approx(0.1)
    # ...but never more than a tenth of the window.
    assert default_arrival_guard(0.5) == pytest.approx(0.05)
    policy = resolve_policy("essentials")
    assert policy.span_seconds == 60.5
    assert policy.sustained_per_minute == pytest.approx(60 * 60 / 60.5)
    assert policy.pace_seconds == pytest.approx(60.5 / 60)
    # The 3 s benchmark window still allows 0.95 of the limit: 3 / 3.1 = 0.968.
    assert 3.0 / resolve_policy(limit_per_window=60, window_seconds=3).span_seconds > 0.96
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


def test_the_share_comes_from_the_environment_and_a_bad_one_fails_at_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HINDSIGHT_RATE_LIMIT_SHARE", "0.25")
    assert HindsightRateLimiter(plan="growth").effective_limit == 75
    assert HindsightRateLimiter(plan="growth", share=0.5).effective_limit == 150  # explicit wins
    monkeypatch.delenv("HINDSIGHT_RATE_LIMIT_SHARE")
    assert HindsightRateLimiter(plan="growth").effective_limit == 300
    for bad in ("eighty percent", "0", "1.5", "nan"):
        monkeypatch.setenv("HINDSIGHT_RATE_LIMIT_SHARE", bad)
        resource = HindsightRateLimiter(plan="growth")  # building it (the load) never fails
        with pytest.raises(
            ValueError, match=r"HINDSIGHT_RATE_LIMIT_SHARE must be a number in \(0, 1\]"
        ):
            _ = resource.policy


def test_the_code_location_loads_with_a_bad_share_and_fails_the_run_that_sends(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from hindsight_pipeline.rate_limiting.definitions import rate_limiting_definitions

    monkeypatch.setenv("HINDSIGHT_RATE_LIMIT_SHARE", "lots")
    monkeypatch.setenv("HINDSIGHT_RATE_LIMIT_STORE", str(tmp_path))
    definitions = rate_limiting_definitions()  # loads

    @dg.asset
    def limits(rate_limiter: HindsightRateLimiter) -> int:
        return rate_limiter.effective_limit

    result = dg.materialize([limits], resources=definitions.resources, raise_on_error=False)
    assert not result.success
    # The resource's setup fails the run, naming the variable.
    failures = " ".join(str(e.event_specific_data) for e in result.all_events if e.is_failure)
    assert "HINDSIGHT_RATE_LIMIT_SHARE must be a number in (0, 1]" in failures


def test_a_store_url_with_a_password_is_passed_as_an_env_var_not_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hindsight_pipeline.rate_limiting.definitions import rate_limiting_definitions

    url = "redis://:s3cret@cache.internal:6379/0"
    monkeypatch.setenv("HINDSIGHT_RATE_LIMIT_STORE", url)
    resources = rate_limiting_definitions().resources or {}
    resource = resources["rate_limiter"]
    assert isinstance(resource, HindsightRateLimiter)
    # What the Dagster UI shows of the resource's config: the variable, not the URL.
    assert isinstance(resource.store_url, dg.EnvVar)
    assert resource.store_url.env_var_name == "HINDSIGHT_RATE_LIMIT_STORE"
    monkeypatch.delenv("HINDSIGHT_RATE_LIMIT_STORE")
    unset = (rate_limiting_definitions().resources or {})["rate_limiter"]
    assert isinstance(unset, HindsightRateLimiter) and unset.store_url is None
