"""Pure parts of the client: header parsing, error classification, retry policy, the Secret."""

from __future__ import annotations

import pickle
import random
from email.utils import formatdate

import pytest

from hindsight_pipeline.hindsight_api import (
    BadRequestError,
    ConnectionFailedError,
    ErrorKind,
    HindsightError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RateLimitHeaders,
    RetryPolicy,
    Secret,
    ServiceUnavailableError,
    UnauthorizedError,
    error_kind,
    parse_rate_limit_headers,
    parse_retry_after,
    validate_base_url,
)
from hindsight_pipeline.hindsight_api.errors import error_class_for
from hindsight_pipeline.hindsight_api.retry import RetryBudget

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "X-RateLimit-Limit": "60",
                "X-RateLimit-Remaining": "12",
                "X-RateLimit-Reset": "1800000060",
            },
            RateLimitHeaders(60, 12, 1_800_000_060.0),
        ),
        (  # lower-case names in a plain dict, whitespace, a float reset
            {
                "x-ratelimit-limit": " 300 ",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "1800000060.5",
            },
            RateLimitHeaders(300, 0, 1_800_000_060.5),
        ),
        ({}, RateLimitHeaders(None, None, None)),
        (
            {
                "X-RateLimit-Limit": "sixty",
                "X-RateLimit-Remaining": "-1",
                "X-RateLimit-Reset": "soon",
            },
            RateLimitHeaders(None, None, None),
        ),
        (
            {
                "X-RateLimit-Limit": "60, 60",
                "X-RateLimit-Remaining": "1.5",
                "X-RateLimit-Reset": "nan",
            },
            RateLimitHeaders(None, None, None),
        ),
        (
            {"X-RateLimit-Limit": "1e400", "X-RateLimit-Reset": "-5"},
            RateLimitHeaders(None, None, None),
        ),
        (
            {"X-RateLimit-Remaining": "7.0", "X-RateLimit-Reset": "30"},
            RateLimitHeaders(None, 7, NOW + 30),
        ),
        (
            {"X-RateLimit-Limit": "", "X-RateLimit-Reset": "\x00"},
            RateLimitHeaders(None, None, None),
        ),
    ],
)
def test_parse_rate_limit_headers(headers: dict[str, str], expected: RateLimitHeaders) -> None:
    assert parse_rate_limit_headers(headers, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        (" 2.5 ", 2.5),
        ("-3", None),
        ("garbage", None),
        (formatdate(NOW + 10, usegmt=True), 10.0),
        (formatdate(NOW - 10, usegmt=True), 0.0),  # a date in the past: retry now
        ("Fri, 99 Foo 2027 08:00:10 GMT", None),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after({"Retry-After": value}, now=NOW) == expected
    assert parse_retry_after({}, now=NOW) is None


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "bad_request", BadRequestError),
        (401, "unauthorized", UnauthorizedError),
        (429, "rate_limit_exceeded", RateLimitedError),
        (500, "internal_error", InternalServerError),
        (502, "internal_error", InternalServerError),  # the code wins over the status
        (500, "rate_limit_exceeded", RateLimitedError),
        (400, None, BadRequestError),
        (422, "weird", BadRequestError),
        (401, None, UnauthorizedError),
        (403, None, UnauthorizedError),
        (404, None, NotFoundError),
        (429, None, RateLimitedError),
        (500, None, OutcomeUnknownError),  # a 500 without internal_error may have been processed
        (500, "something_else", OutcomeUnknownError),
        (502, None, OutcomeUnknownError),
        (503, None, ServiceUnavailableError),
        (504, None, OutcomeUnknownError),
        (599, None, OutcomeUnknownError),
    ],
)
def test_error_classification_by_code_then_status(status: int, code: str | None, cls: type) -> None:
    assert error_class_for(status, code) is cls


def test_error_kinds() -> None:
    assert {
        cls.kind
        for cls in (
            RateLimitedError,
            InternalServerError,
            ServiceUnavailableError,
            ConnectionFailedError,
        )
    } == {ErrorKind.RETRYABLE}
    assert BadRequestError.kind is ErrorKind.PERMANENT
    assert InvalidRequestError.kind is ErrorKind.PERMANENT
    assert OutcomeUnknownError.kind is ErrorKind.OUTCOME_UNKNOWN
    assert UnauthorizedError.kind is ErrorKind.FATAL
    assert InternalServerError("x").safe_to_retry
    assert BadRequestError("x").permanent
    assert OutcomeUnknownError("x").outcome_unknown
    assert UnauthorizedError("x").stop_everything
    assert error_kind(RuntimeError("bug")) is ErrorKind.OUTCOME_UNKNOWN
    assert error_kind(UnauthorizedError("x")) is ErrorKind.FATAL


def test_errors_pickle_with_their_attributes() -> None:
    errors: list[HindsightError] = [
        BadRequestError("deal_id not found", code="bad_request", http_status=400, attempts=1),
        RateLimitedError("slow down", http_status=429, attempts=3, reset_at=NOW, retry_after=2.0),
        InvalidRequestError("contact_email", "invalid_email"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert vars(copy) == vars(error)
        assert str(copy) == str(error)
    assert "deal_id not found" in str(errors[0]) and "HTTP 400" in str(errors[0])


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=False)
    assert [policy.backoff_delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    jittered = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    samples = [jittered.backoff_delay(3, rng) for _ in range(200)]
    assert all(0.0 <= s <= 2.0 for s in samples)
    assert min(samples) < 0.5 and max(samples) > 1.5
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    assert RetryPolicy.no_retries().max_attempts == 1


def test_secret_is_masked_and_unpicklable() -> None:
    secret = Secret("hs_live_abc123")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])):
        assert "hs_live_abc123" not in text
    assert secret.reveal() == "hs_live_abc123"
    assert secret == Secret("hs_live_abc123")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    for bad in ("", "  ", "key with space", "key\nX-Injected: 1"):
        with pytest.raises(ValueError) as info:
            Secret(bad)
        assert bad.strip() == "" or bad not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.com/api",
        "app.usehindsight.com/api/v1",
        "https://",
        "https://user:pw@x.com/api",
        "https://x.com/api?k=1",
        "",
    ],
)
def test_base_url_is_validated(url: str) -> None:
    with pytest.raises(ValueError):
        validate_base_url(url)


def test_base_url_is_normalized() -> None:
    assert (
        validate_base_url(" https://app.usehindsight.com/api/v1/ ")
        == "https://app.usehindsight.com/api/v1"
    )


def test_retry_budget_counts_failures_and_rate_limit_waits_separately() -> None:
    policy = RetryPolicy(
        max_attempts=3,
        base_delay=0.1,
        jitter=False,
        max_rate_limit_retries=2,
        max_rate_limit_wait=5.0,
    )
    budget = RetryBudget(policy, random.Random(0))
    assert budget.delay_after_rate_limit(NOW + 2.0, NOW) == pytest.approx(2.05)  # + the margin
    assert budget.delay_after_failure(True) == 0.1
    assert budget.delay_after_rate_limit(None, NOW) == 0.2  # no reset given: back off (2nd 429)
    assert budget.delay_after_rate_limit(NOW + 1.0, NOW) is None  # 429 retries spent
    assert budget.delay_after_failure(True) == 0.2
    assert budget.delay_after_failure(True) is None  # max_attempts reached
    assert RetryBudget(policy, random.Random(0)).delay_after_failure(False) is None
    waits = RetryBudget(RetryPolicy(max_rate_limit_wait=3.0), random.Random(0))
    assert waits.delay_after_rate_limit(NOW + 2.0, NOW) is not None
    assert waits.delay_after_rate_limit(NOW + 2.0, NOW) is None  # would exceed the total wait
