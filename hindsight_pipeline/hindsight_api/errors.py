"""Typed errors of the Hindsight client, and what a caller may do about each.

Every error is a :class:`HindsightError` with ``code``, ``message``, ``http_status`` and
``attempts``. Its :attr:`HindsightError.kind` says what the caller may do:

==================  ======================================================================
kind                meaning
==================  ======================================================================
RETRYABLE           nothing was created; the same request may be sent again later
                    (RateLimitedError, InternalServerError, ServiceUnavailableError,
                    ConnectionFailedError, RateLimiterUnavailableError)
PERMANENT           refused for good; fix the input first (BadRequestError and its
                    NotFoundError, InvalidRequestError)
OUTCOME_UNKNOWN     the request may have been processed; sending it again may email the
                    person twice (OutcomeUnknownError)
FATAL               stop everything: nothing else with this key can succeed
                    (UnauthorizedError)
==================  ======================================================================

Errors carry only plain data (no httpx request or response objects, which hold the
Authorization header) and are never chained to httpx exceptions.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar


class ErrorKind(enum.StrEnum):
    """What a caller may do after an error (see the module docstring)."""

    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    OUTCOME_UNKNOWN = "outcome_unknown"
    FATAL = "fatal"


def _rebuild(cls: type[HindsightError], state: dict[str, Any]) -> HindsightError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class HindsightError(Exception):
    """Base of every error the client raises."""

    kind: ClassVar[ErrorKind] = ErrorKind.OUTCOME_UNKNOWN
    default_code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.code: str = code or self.default_code
        self.message: str = message
        self.http_status: int | None = http_status
        self.attempts: int = attempts

    @property
    def safe_to_retry(self) -> bool:
        """Nothing was created: the same request may be sent again later."""
        return self.kind is ErrorKind.RETRYABLE

    @property
    def permanent(self) -> bool:
        """Refused for good: sending it again unchanged fails again."""
        return self.kind is ErrorKind.PERMANENT

    @property
    def outcome_unknown(self) -> bool:
        """The request may have been processed: never resend it automatically."""
        return self.kind is ErrorKind.OUTCOME_UNKNOWN

    @property
    def stop_everything(self) -> bool:
        """No request with this API key can succeed (the key is missing or invalid)."""
        return self.kind is ErrorKind.FATAL

    def __str__(self) -> str:
        status = f" (HTTP {self.http_status})" if self.http_status is not None else ""
        tries = (
            f" after {self.attempts} attempt{'s' * (self.attempts != 1)}" if self.attempts else ""
        )
        return f"{self.code}{status}{tries}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"http_status={self.http_status!r}, attempts={self.attempts!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat Exception's default pickling; errors do cross
        # process boundaries (multiprocess executors).
        return (_rebuild, (type(self), dict(self.__dict__)))


class InvalidRequestError(HindsightError):
    """The request was refused by the client before anything was sent.

    ``field`` names the offending field, ``reason`` is a short machine-readable reason
    (``missing_email``, ``invalid_email``, ``missing_routing``, ``too_long``, ``too_deep``,
    ``invalid_type``, ``invalid_id``, ``not_json_serializable``, ``unknown_field``, ``empty``,
    ``invalid_value``). The message never echoes the value (it may be personal data).
    """

    kind = ErrorKind.PERMANENT
    default_code = "invalid_request"

    def __init__(self, field: str, reason: str, detail: str | None = None) -> None:
        message = f"{field}: {reason}" + (f" ({detail})" if detail else "")
        super().__init__(message, code="invalid_request")
        self.field = field
        self.reason = reason


class BadRequestError(HindsightError):
    """400 ``bad_request`` (or another 4xx): refused, nothing created.

    ``message`` is the server's own, so a caller can tell which id was not found
    (``"deal_id" in err.message``).
    """

    kind = ErrorKind.PERMANENT
    default_code = "bad_request"


class NotFoundError(BadRequestError):
    """404: the interview (or path) does not exist."""

    default_code = "not_found"


class UnauthorizedError(HindsightError):
    """401 ``unauthorized`` (or 403): the API key is missing or invalid. Stop the run."""

    kind = ErrorKind.FATAL
    default_code = "unauthorized"


class RateLimitedError(HindsightError):
    """429 ``rate_limit_exceeded``: nothing created; wait until ``reset_at`` (Unix time)."""

    kind = ErrorKind.RETRYABLE
    default_code = "rate_limit_exceeded"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        attempts: int = 0,
        reset_at: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status, attempts=attempts)
        self.reset_at = reset_at
        self.retry_after = retry_after


class InternalServerError(HindsightError):
    """500 ``internal_error``: the contact record could not be created, so nothing was."""

    kind = ErrorKind.RETRYABLE
    default_code = "internal_error"


class ServiceUnavailableError(HindsightError):
    """503: the service refused the request before processing it."""

    kind = ErrorKind.RETRYABLE
    default_code = "service_unavailable"


class ConnectionFailedError(HindsightError):
    """The connection failed before the request was sent (refused, connect timeout, pool
    timeout): nothing reached Hindsight."""

    kind = ErrorKind.RETRYABLE
    default_code = "connect_failed"


class RateLimiterUnavailableError(HindsightError):
    """The rate limiter could not grant a permit (its shared store is down or unusable), so
    the request was never sent: nothing reached Hindsight and it may be sent again later.

    Sending without the limiter would spend other runs' share of the key's budget, so the
    client refuses instead. The message names the limiter's own error (passwords hidden).
    """

    kind = ErrorKind.RETRYABLE
    default_code = "rate_limiter_unavailable"


class OutcomeUnknownError(HindsightError):
    """The request may have been processed: a 502, 504 or other 5xx without a recognized
    code, a read timeout, a connection dropped after the request was sent, or an
    unreadable success body. Never resend a POST automatically: it may email twice."""

    kind = ErrorKind.OUTCOME_UNKNOWN
    default_code = "outcome_unknown"


def error_kind(error: BaseException) -> ErrorKind:
    """The :class:`ErrorKind` of any exception the client raised.

    Exceptions that are not :class:`HindsightError` (a bug, a cancelled task) count as
    ``OUTCOME_UNKNOWN``: whether a request went out cannot be known from them.
    """
    if isinstance(error, HindsightError):
        return error.kind
    return ErrorKind.OUTCOME_UNKNOWN


_CODE_TO_CLASS: dict[str, type[HindsightError]] = {
    "bad_request": BadRequestError,
    "not_found": NotFoundError,
    "unauthorized": UnauthorizedError,
    "rate_limit_exceeded": RateLimitedError,
    "internal_error": InternalServerError,
    "service_unavailable": ServiceUnavailableError,
}
# Not in _CODE_TO_CLASS: "rate_limiter_unavailable" is the client's own code, never a
# server's, so a response body cannot claim it.


def error_class_for(http_status: int, code: str | None) -> type[HindsightError]:
    """The error class of an error response: by the body's ``code`` first, then the status.

    A 500 without the ``internal_error`` code, a 502, a 504 and any other 5xx may have been
    processed: outcome unknown. Other 4xx were refused before processing: bad request.
    """
    if code is not None and code in _CODE_TO_CLASS:
        return _CODE_TO_CLASS[code]
    if http_status in (401, 403):
        return UnauthorizedError
    if http_status == 404:
        return NotFoundError
    if http_status == 429:
        return RateLimitedError
    if http_status == 503:
        return ServiceUnavailableError
    if 400 <= http_status < 500:
        return BadRequestError
    return OutcomeUnknownError
