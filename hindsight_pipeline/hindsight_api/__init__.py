"""The Hindsight API client: typed requests, responses and errors, safe retries, no Dagster.

Start here: :class:`AsyncHindsightClient` (or the sync :class:`HindsightClient`),
:class:`CreateInterviewRequest`, and the :class:`HindsightError` hierarchy, whose
:attr:`HindsightError.kind` tells a caller what it may do after a failure.
"""

from hindsight_pipeline.hindsight_api.client import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    KEEPALIVE_EXPIRY,
    AsyncHindsightClient,
    HindsightClient,
    validate_base_url,
)
from hindsight_pipeline.hindsight_api.errors import (
    BadRequestError,
    ConnectionFailedError,
    ErrorKind,
    HindsightError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RateLimiterUnavailableError,
    ServiceUnavailableError,
    UnauthorizedError,
    error_kind,
)
from hindsight_pipeline.hindsight_api.headers import parse_rate_limit_headers, parse_retry_after
from hindsight_pipeline.hindsight_api.limiter import (
    RateLimiter,
    RateLimitHeaders,
    UnlimitedRateLimiter,
)
from hindsight_pipeline.hindsight_api.models import (
    CreateInterviewRequest,
    CreateInterviewResponse,
    Deal,
    Interview,
    Transcript,
)
from hindsight_pipeline.hindsight_api.plans import PLAN_LIMITS_PER_MINUTE, Plan
from hindsight_pipeline.hindsight_api.retry import AttemptRecord, RetryPolicy
from hindsight_pipeline.hindsight_api.secret import Secret
from hindsight_pipeline.hindsight_api.validation import normalize_email

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "KEEPALIVE_EXPIRY",
    "PLAN_LIMITS_PER_MINUTE",
    "AsyncHindsightClient",
    "AttemptRecord",
    "BadRequestError",
    "ConnectionFailedError",
    "CreateInterviewRequest",
    "CreateInterviewResponse",
    "Deal",
    "ErrorKind",
    "HindsightClient",
    "HindsightError",
    "InternalServerError",
    "Interview",
    "InvalidRequestError",
    "NotFoundError",
    "OutcomeUnknownError",
    "Plan",
    "RateLimitHeaders",
    "RateLimitedError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "RetryPolicy",
    "Secret",
    "ServiceUnavailableError",
    "Transcript",
    "UnauthorizedError",
    "UnlimitedRateLimiter",
    "error_kind",
    "normalize_email",
    "parse_rate_limit_headers",
    "parse_retry_after",
    "validate_base_url",
]
