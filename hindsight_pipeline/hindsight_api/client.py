"""The Hindsight HTTP client: async (:class:`AsyncHindsightClient`) and sync (:class:`HindsightClient`).

One pooled httpx connection pool per client, explicit timeouts, retries that are safe by
construction (see :class:`RetryPolicy`), the rate-limiter seam on every attempt, every
attempt reported to ``on_attempt``, and the API key kept out of every repr, log line and
exception.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

import httpx

from hindsight_pipeline.hindsight_api.errors import (
    ConnectionFailedError,
    ErrorKind,
    HindsightError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitedError,
    RateLimiterUnavailableError,
    error_class_for,
)
from hindsight_pipeline.hindsight_api.headers import parse_rate_limit_headers, parse_retry_after
from hindsight_pipeline.hindsight_api.limiter import (
    RateLimiter,
    RateLimitHeaders,
    UnlimitedRateLimiter,
)
from hindsight_pipeline.hindsight_api.models import (
    ContactContext,
    CreateInterviewRequest,
    CreateInterviewResponse,
    Deal,
    Interview,
    ResponseFormatError,
)
from hindsight_pipeline.hindsight_api.retry import (
    AttemptOutcome,
    AttemptRecord,
    RetryBudget,
    RetryPolicy,
)
from hindsight_pipeline.hindsight_api.secret import Secret, redact
from hindsight_pipeline.hindsight_api.validation import (
    MAX_NAME_LENGTH,
    MAX_OBJECTIVE_LENGTH,
    clean_context,
    clean_text,
)

logger = logging.getLogger("hindsight_pipeline.hindsight_api")

T = TypeVar("T")
A = TypeVar("A")

DEFAULT_BASE_URL = "https://app.usehindsight.com/api/v1"
# read: how long Hindsight may take to answer; pool: how long a request may wait for a free
# connection when more are in flight than max_connections.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=30.0)
# Below uvicorn's default idle timeout (5 s) and typical load balancers' (60 s): a pooled
# connection is dropped by us before the server closes it, so a POST is never written onto
# a connection the server is closing (which would make its outcome unknown).
KEEPALIVE_EXPIRY = 4.0
MAX_DEALS_PAGE_SIZE = 100
_MAX_DEAL_PAGES = 10_000
_MAX_MESSAGE_CHARS = 500
_USER_AGENT = f"hindsight-pipeline/0.1 httpx/{httpx.__version__}"

OnAttempt = Callable[[AttemptRecord], None]


class ClientOptions(TypedDict, total=False):
    """The keyword arguments of :class:`AsyncHindsightClient` after ``base_url`` and
    ``api_key``, which :class:`HindsightClient` passes on unchanged (defaults: the async
    client's)."""

    limiter: RateLimiter | None
    timeout: httpx.Timeout | float
    retry: RetryPolicy | None
    on_attempt: OnAttempt | None
    max_connections: int


class _BearerAuth(httpx.Auth):
    """Adds the Authorization header at send time; the key lives only in the Secret."""

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"Bearer {self._secret.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(Secret('**********'))"


def validate_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, or ValueError: http(s), a host, no credentials,
    no query or fragment."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError("base_url is empty")
    url = base_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("base_url must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("base_url has no host")
    if parts.username or parts.password:
        raise ValueError("base_url must not contain credentials")
    if parts.query or parts.fragment:
        raise ValueError("base_url must not have a query or fragment")
    return url.rstrip("/")


@dataclass(frozen=True)
class _Reply:
    """What one attempt produced: a parsed value or an error, plus the rate-limit headers."""

    value: Any
    error: HindsightError | None
    http_status: int | None
    rate: RateLimitHeaders | None


def _error_envelope(payload: Any) -> tuple[str | None, str | None]:
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            message = error.get("message")
            return (
                code if isinstance(code, str) and code else None,
                message if isinstance(message, str) else None,
            )
    return None, None


_NOT_JSON = object()


def _decode_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _filter_params(page_size: int, page_index: int, filters: Mapping[str, Any]) -> dict[str, str]:
    params: dict[str, str] = {"page_size": str(page_size), "page_index": str(page_index)}
    for key, value in filters.items():
        if value is None:
            continue
        name = "searchQuery" if key == "search_query" else key
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, list | tuple | dict):
            # status, close_date, amount, owner_ids travel as JSON strings.
            params[name] = json.dumps(list(value) if isinstance(value, tuple) else value)
        else:
            params[name] = str(value)
    return params


class AsyncHindsightClient:
    """Async client of the Hindsight API.

    Args:
        base_url: e.g. ``https://app.usehindsight.com/api/v1`` (the local server serves the
            same paths under ``http://127.0.0.1:PORT/api/v1``).
        api_key: the key, as a str or :class:`Secret`; never printed.
        limiter: the rate-limiter seam, used on every attempt (default: no limit).
        timeout: an ``httpx.Timeout`` or one number for all four phases.
        retry: the :class:`RetryPolicy` (default ``RetryPolicy()``).
        on_attempt: called with an :class:`AttemptRecord` after every attempt; an exception
            it raises is logged, not propagated (losing a created interview's id to a
            bookkeeping bug would be worse).
        max_connections: the pool size (keep-alive connections expire after 4 s idle).

    Use as ``async with AsyncHindsightClient(...) as client:`` or call :meth:`aclose`.
    One instance must be used from one event loop.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | Secret,
        *,
        limiter: RateLimiter | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_attempt: OnAttempt | None = None,
        max_connections: int = 64,
    ) -> None:
        self._base_url = validate_base_url(base_url)
        self._api_key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self._limiter: RateLimiter = limiter if limiter is not None else UnlimitedRateLimiter()
        self._retry = retry if retry is not None else RetryPolicy()
        self._on_attempt = on_attempt
        self._rng = random.Random()
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=_BearerAuth(self._api_key),
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            ),
            headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={self._api_key!r})"

    async def __aenter__(self) -> AsyncHindsightClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ---- endpoints -----------------------------------------------------------------------

    async def create_interview(self, request: CreateInterviewRequest) -> CreateInterviewResponse:
        """``POST /interviews``. Never retried once its outcome is unknown (no idempotency key).

        Raises a :class:`HindsightError` subclass; its ``attempts`` says how many were made.
        """
        if not isinstance(request, CreateInterviewRequest):
            raise TypeError("create_interview takes a CreateInterviewRequest")
        body = request.to_body()

        def parse(payload: Any, attempts: int) -> CreateInterviewResponse:
            return CreateInterviewResponse.from_body(payload, attempts=attempts)

        return await self._call("POST", "/interviews", parse, body=body)

    async def get_interview(self, interview_request_id: int) -> Interview:
        """``GET /interviews/{id}``: status and, once completed, the transcript."""
        path = f"/interviews/{self._check_id(interview_request_id)}"
        return await self._call("GET", path, lambda payload, _: Interview.from_body(payload))

    async def update_interview(
        self,
        interview_request_id: int,
        *,
        contact_context: ContactContext | None = None,
        contact_name: str | None = None,
        objective: str | None = None,
    ) -> int:
        """``PATCH /interviews/{id}``: overwrite context / name / objective (None = unchanged).

        Overwriting is idempotent, so an unknown outcome is retried like a GET.
        """
        path = f"/interviews/{self._check_id(interview_request_id)}"
        body: dict[str, Any] = {}
        context = clean_context(contact_context)
        name = clean_text(contact_name, "contact_name", max_length=MAX_NAME_LENGTH, multiline=False)
        goal = clean_text(objective, "objective", max_length=MAX_OBJECTIVE_LENGTH, multiline=True)
        for key, value in (
            ("contact_context", context),
            ("contact_name", name),
            ("objective", goal),
        ):
            if value is not None:
                body[key] = value
        if not body:
            raise InvalidRequestError(
                "fields", "empty", "give contact_context, contact_name or objective"
            )

        def parse(payload: Any, _: int) -> int:
            if not isinstance(payload, dict) or not isinstance(
                payload.get("interview_request_id"), int
            ):
                raise ResponseFormatError("interview_request_id is missing")
            return int(payload["interview_request_id"])

        return await self._call("PATCH", path, parse, body=body)

    async def list_deals(self, page_size: int = MAX_DEALS_PAGE_SIZE, **filters: Any) -> list[Deal]:
        """``GET /deals``, every page (until a page shorter than ``page_size``).

        ``filters`` are passed as query parameters: ``sort``, ``sort_order``, ``columns``,
        ``searchQuery`` (or ``search_query``), ``status_filter_type``; lists and dicts
        (``status``, ``close_date``, ``amount``, ``owner_ids``) are sent as JSON strings.
        """
        if (
            isinstance(page_size, bool)
            or not isinstance(page_size, int)
            or not 1 <= page_size <= MAX_DEALS_PAGE_SIZE
        ):
            raise InvalidRequestError(
                "page_size", "invalid_value", f"between 1 and {MAX_DEALS_PAGE_SIZE}"
            )
        if "page_index" in filters or "page_size" in filters:
            raise InvalidRequestError("page_index", "invalid_value", "list_deals pages by itself")

        def parse(payload: Any, _: int) -> list[Deal]:
            if not isinstance(payload, list):
                raise ResponseFormatError("the deals body is not a JSON array")
            return [Deal.from_body(item) for item in payload]

        deals: list[Deal] = []
        for page_index in range(_MAX_DEAL_PAGES):
            params = _filter_params(page_size, page_index, filters)
            page = await self._call("GET", "/deals", parse, params=params)
            deals.extend(page)
            if len(page) < page_size:
                return deals
        raise HindsightError(
            f"GET /deals returned more than {_MAX_DEAL_PAGES} full pages", code="too_many_pages"
        )

    # ---- the attempt loop ----------------------------------------------------------------

    @staticmethod
    def _check_id(interview_request_id: int) -> int:
        if (
            isinstance(interview_request_id, bool)
            or not isinstance(interview_request_id, int)
            or interview_request_id < 1
        ):
            raise InvalidRequestError("interview_request_id", "invalid_value", "a positive integer")
        return interview_request_id

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any, int], T],
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> T:
        # GET reads and PATCH overwrites: sending either twice equals sending it once, so an
        # unknown outcome may be retried. POST creates: never.
        idempotent = method in ("GET", "PATCH")
        budget = RetryBudget(self._retry, self._rng)
        attempt = 0  # HTTP attempts made
        while True:
            unavailable = await self._acquire_permit()
            if unavailable is not None:
                # Nothing was sent: retried like a connection that failed before sending,
                # within the same budget; not an HTTP attempt, so not reported as one.
                unavailable.attempts = attempt
                backoff = budget.delay_after_failure(True)
                if backoff is None:
                    logger.warning("%s %s not sent: %s", method, path, unavailable.message)
                    raise unavailable
                logger.warning(
                    "%s %s not sent yet: %s; retrying in %.2f s",
                    method,
                    path,
                    unavailable.message,
                    backoff,
                )
                await asyncio.sleep(backoff)
                continue
            attempt += 1
            t0 = time.monotonic()
            reply = await self._send_once(method, path, parse, attempt, body=body, params=params)
            elapsed = time.monotonic() - t0
            if reply.rate is not None:
                await self._limiter_feedback("observe", self._limiter.observe, reply.rate, path)
            error = reply.error
            if error is None:
                self._report(
                    AttemptRecord(method, path, attempt, reply.http_status, None, elapsed, "ok")
                )
                logger.debug(
                    "%s %s attempt %d: HTTP %s in %.3f s",
                    method,
                    path,
                    attempt,
                    reply.http_status,
                    elapsed,
                )
                return reply.value  # type: ignore[no-any-return]
            error.attempts = attempt

            delay: float | None
            outcome: AttemptOutcome
            if isinstance(error, RateLimitedError):
                outcome = "rate_limited"
                now = time.time()
                resume_at = error.reset_at
                if resume_at is None and error.retry_after is not None:
                    resume_at = now + error.retry_after
                if resume_at is not None:
                    # Every sender on the key must pause, not only this request.
                    await self._limiter_feedback(
                        "pause_until", self._limiter.pause_until, resume_at, path
                    )
                delay = budget.delay_after_rate_limit(resume_at, now)
            else:
                outcome = error.kind.value  # type: ignore[assignment]
                delay = budget.delay_after_failure(
                    error.kind is ErrorKind.RETRYABLE
                    or (idempotent and error.kind is ErrorKind.OUTCOME_UNKNOWN)
                )

            self._report(
                AttemptRecord(
                    method,
                    path,
                    attempt,
                    reply.http_status,
                    error.code,
                    elapsed,
                    outcome,
                    delay is not None,
                )
            )
            if delay is None:
                logger.debug(
                    "%s %s attempt %d failed (%s, HTTP %s); not retrying",
                    method,
                    path,
                    attempt,
                    error.code,
                    reply.http_status,
                )
                raise error
            logger.info(
                "%s %s attempt %d failed (%s, HTTP %s); retrying in %.2f s",
                method,
                path,
                attempt,
                error.code,
                reply.http_status,
                delay,
            )
            await asyncio.sleep(delay)

    def _safe_detail(self, exc: BaseException) -> str:
        return redact(f"{type(exc).__name__}: {exc}", self._api_key)[:_MAX_MESSAGE_CHARS]

    async def _acquire_permit(self) -> RateLimiterUnavailableError | None:
        """Wait for the limiter's permit; the error to raise if the limiter itself failed.

        Returned, not raised here, so the error has no ``__context__`` (the limiter's
        exception may carry a store's connection details).
        """
        try:
            await self._limiter.acquire()
        except Exception as exc:
            return RateLimiterUnavailableError(
                f"the rate limiter could not grant a permit, so nothing was sent "
                f"({self._safe_detail(exc)}). Check the limiter's shared store "
                f"(HINDSIGHT_RATE_LIMIT_STORE): the directory writable and its lock not held "
                f"by a stuck process, or Redis / Postgres reachable; the request can be sent "
                f"again once it works"
            )
        return None

    async def _limiter_feedback(
        self, step: str, call: Callable[[A], Awaitable[None]], argument: A, path: str
    ) -> None:
        """Tell the limiter what the server said. If the limiter fails here, the answer
        already received (a 201's new interview id) must still reach the caller: the
        failure is logged and the call carries on."""
        try:
            await call(argument)
        except Exception as exc:
            logger.warning(
                "the rate limiter's %s failed after a response to %s (%s); the response is "
                "kept, the limiter's shared view may lag until its store works again",
                step,
                path,
                self._safe_detail(exc),
            )

    async def _send_once(
        self,
        method: str,
        path: str,
        parse: Callable[[Any, int], Any],
        attempt: int,
        *,
        body: dict[str, Any] | None,
        params: dict[str, str] | None,
    ) -> _Reply:
        failure: HindsightError | None = None
        response: httpx.Response | None = None
        try:
            response = await self._http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            # Only plain strings leave this block: httpx exceptions hold the request, and the
            # request holds the Authorization header. The error is raised later, outside any
            # except block, so it has no __context__ either.
            failure = self._transport_failure(exc)
        if failure is not None or response is None:
            return _Reply(None, failure, None, None)

        status = response.status_code
        rate = parse_rate_limit_headers(response.headers)
        payload = _decode_json(response)
        if 200 <= status < 300:
            if payload is not _NOT_JSON:
                try:
                    return _Reply(parse(payload, attempt), None, status, rate)
                except (ResponseFormatError, ValueError, TypeError, KeyError) as exc:
                    detail = redact(str(exc), self._api_key)[:_MAX_MESSAGE_CHARS]
            else:
                detail = "the body is not JSON"
            # A success whose body cannot be read: for a POST the interview exists but its id
            # is lost.
            return _Reply(
                None,
                OutcomeUnknownError(
                    f"HTTP {status} with an unreadable body: {detail}",
                    code="invalid_response",
                    http_status=status,
                ),
                status,
                rate,
            )

        code, message = _error_envelope(None if payload is _NOT_JSON else payload)
        error_cls = error_class_for(status, code)
        text = redact(message or f"HTTP {status} {response.reason_phrase}".strip(), self._api_key)
        text = text[:_MAX_MESSAGE_CHARS]
        error_code = code or f"http_{status}"
        error: HindsightError
        if error_cls is RateLimitedError:
            error = RateLimitedError(
                text,
                code=error_code,
                http_status=status,
                reset_at=rate.reset_at,
                retry_after=parse_retry_after(response.headers),
            )
        else:
            error = error_cls(text, code=error_code, http_status=status)
        return _Reply(None, error, status, rate)

    def _transport_failure(self, exc: httpx.HTTPError) -> HindsightError:
        detail = self._safe_detail(exc)
        # Connect-phase failures happen before a byte of the request is written.
        if isinstance(exc, httpx.ConnectTimeout):
            return ConnectionFailedError(detail, code="connect_timeout")
        if isinstance(exc, httpx.PoolTimeout):
            return ConnectionFailedError(detail, code="pool_timeout")
        if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
            return ConnectionFailedError(detail, code="connect_failed")
        if isinstance(exc, httpx.ReadTimeout):
            return OutcomeUnknownError(detail, code="read_timeout")
        if isinstance(exc, httpx.WriteTimeout):
            return OutcomeUnknownError(detail, code="write_timeout")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return OutcomeUnknownError(detail, code="connection_dropped")
        return OutcomeUnknownError(detail, code="transport_error")

    def _report(self, record: AttemptRecord) -> None:
        if self._on_attempt is None:
            return
        try:
            self._on_attempt(record)
        except Exception:
            logger.exception(
                "the on_attempt callback failed for %s %s attempt %d",
                record.method,
                record.path,
                record.attempt,
            )


class HindsightClient:
    """The synchronous face of :class:`AsyncHindsightClient` (same arguments, same methods).

    Runs one async client on a private event loop in a daemon thread, so connections are
    pooled across calls. Safe to call from several threads at once. ``on_attempt`` and the
    limiter run on that private loop's thread: a limiter given here must not be bound to
    another event loop. Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self, base_url: str, api_key: str | Secret, **options: Unpack[ClientOptions]
    ) -> None:
        # Validate in the caller's thread first, so a bad argument starts no thread.
        unknown = sorted(set(options) - ClientOptions.__optional_keys__)
        if unknown:
            raise TypeError(f"HindsightClient() got unexpected keyword arguments: {unknown}")
        validate_base_url(base_url)
        secret = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self._closed = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="hindsight-client", daemon=True
        )
        self._thread.start()

        async def build() -> AsyncHindsightClient:
            # Built on the loop that will use it.
            return AsyncHindsightClient(base_url, secret, **options)

        try:
            self._client = self._run(build())
        except BaseException:
            self._stop_loop()
            raise

    def __repr__(self) -> str:
        return f"HindsightClient(base_url={self._client.base_url!r}, api_key=Secret('**********'))"

    def __enter__(self) -> HindsightClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return self._client.base_url

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise RuntimeError("the HindsightClient is closed")
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result()

    def create_interview(self, request: CreateInterviewRequest) -> CreateInterviewResponse:
        """See :meth:`AsyncHindsightClient.create_interview`."""
        return self._run(self._client.create_interview(request))

    def get_interview(self, interview_request_id: int) -> Interview:
        """See :meth:`AsyncHindsightClient.get_interview`."""
        return self._run(self._client.get_interview(interview_request_id))

    def update_interview(
        self,
        interview_request_id: int,
        *,
        contact_context: ContactContext | None = None,
        contact_name: str | None = None,
        objective: str | None = None,
    ) -> int:
        """See :meth:`AsyncHindsightClient.update_interview`."""
        return self._run(
            self._client.update_interview(
                interview_request_id,
                contact_context=contact_context,
                contact_name=contact_name,
                objective=objective,
            )
        )

    def list_deals(self, page_size: int = MAX_DEALS_PAGE_SIZE, **filters: Any) -> list[Deal]:
        """See :meth:`AsyncHindsightClient.list_deals`."""
        return self._run(self._client.list_deals(page_size, **filters))

    def close(self) -> None:
        """Close the connection pool and stop the private loop. Idempotent."""
        with self._lock:
            if self._closed:
                return
            try:
                self._run(self._client.aclose())
            finally:
                self._closed = True
                self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()
