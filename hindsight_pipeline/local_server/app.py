"""The local Hindsight server's HTTP layer (Starlette): the API under /api/v1, admin under /_admin.

Every authenticated API request is handled in this order: logged and counted on arrival
(before any latency), then the injected latency, then the rate limit's verdict, then
faults that answer before processing (500, 503), then the real work, then faults that
answer after it (502, 504, crash, drop). Every API response, errors included, carries the
three X-RateLimit headers. Admin endpoints need no key and are not rate limited.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.faults import FaultConfig
from hindsight_pipeline.local_server.state import ApiError, HindsightState

API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/_admin"
_RAW_SEND = "hindsight_local.raw_send"

_GATEWAY_PAGES = {
    502: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>",
}


class LocalHindsightApp(Starlette):
    """Starlette that remembers the server's own ``send`` of each request.

    Dropping a connection without a response needs the transport, which only uvicorn's
    ``send`` (a bound method of its request cycle) leads to; Starlette wraps ``send`` before
    it reaches an endpoint.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[_RAW_SEND] = send
        await super().__call__(scope, receive, send)


def _state(request: Request) -> HindsightState:
    return request.app.state.hindsight  # type: ignore[no-any-return]


async def _drop_connection(request: Request) -> bool:
    """Close the client's connection without a response; False if the server is not uvicorn."""
    cycle = getattr(request.scope.get(_RAW_SEND), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    transport.close()
    # Let connection_lost run, so the server ignores the response we still return.
    for _ in range(50):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
    return True


def _parse_body(raw: bytes) -> tuple[Any, str | None]:
    if not raw:
        return None, "empty_body"
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, "invalid_json"


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


Operation = Callable[[Request, Any], tuple[int, Any]]


async def _serve_api(request: Request, operation: Operation, *, with_body: bool) -> Response:
    state = _state(request)
    arrived = state.clock()
    auth = state.check_key(request.headers.get("authorization"))
    client = request.client
    record = state.log_arrival(
        {
            "time": arrived,
            "method": request.method,
            # From the scope: building Starlette URL objects costs more than the rest.
            "path": request.scope["path"],
            "query": request.scope["query_string"].decode("latin-1"),
            "client": f"{client.host}:{client.port}" if client else None,
            "auth": auth,  # never the key itself
            "body": None,
            "body_error": None,
            "status": None,
            "error_code": None,
            "fault": None,
            "interview_request_id": None,
            "rate_limited": False,
            "rate_limit_remaining": None,
            "latency_ms": 0.0,
            "answered_at": None,
            "dropped": False,
        }
    )
    body, body_error = _parse_body(await request.body()) if with_body else (None, None)
    if with_body:
        state.update_record(record, body=body, body_error=body_error)

    def finish(response: Response, **fields: Any) -> Response:
        state.update_record(
            record, status=response.status_code, answered_at=state.clock(), **fields
        )
        return response

    if auth != "valid":
        headers = state.peek_window(arrived).headers()
        message = "API key missing" if auth == "missing" else "invalid API key"
        return finish(_error(401, "unauthorized", message, headers), error_code="unauthorized")

    email = (
        body.get("contact_email")
        if isinstance(body, dict) and operation is _create_interview
        else None
    )
    fault, latency = state.decide_fault(email if isinstance(email, str) else None)
    rate = state.admit(arrived, burst=fault.fault == "429")
    headers = rate.headers()
    state.update_record(
        record, rate_limit_remaining=rate.remaining, fault=fault.label, latency_ms=latency * 1000.0
    )
    if latency > 0:
        await asyncio.sleep(latency)

    if not rate.allowed:
        headers["Retry-After"] = str(rate.retry_after)
        response = _error(
            429,
            "rate_limit_exceeded",
            "Rate limit exceeded; retry after X-RateLimit-Reset",
            headers,
        )
        # Another fault drawn for this request did not happen: the 429 came first.
        return finish(
            response,
            error_code="rate_limit_exceeded",
            rate_limited=True,
            fault="429" if fault.fault == "429" else None,
        )
    if fault.fault == "500":
        response = _error(500, "internal_error", "Failed to create the contact record", headers)
        return finish(response, error_code="internal_error")
    if fault.fault == "503":
        return finish(PlainTextResponse("Service Unavailable", status_code=503, headers=headers))

    created_id: int | None = None
    try:
        if with_body and body_error is not None:
            raise ApiError(400, "bad_request", "invalid JSON body")
        status, payload = operation(request, body)
        response = JSONResponse(payload, status_code=status, headers=headers)
        if operation is _create_interview:
            created_id = payload["interview_request_id"]
        error_code = None
    except ApiError as exc:
        response = JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        error_code = exc.code

    after = fault.fault
    if after == "drop":
        if await _drop_connection(request):
            state.update_record(
                record,
                dropped=True,
                answered_at=state.clock(),
                interview_request_id=created_id,
                error_code=error_code,
            )
            return Response(status_code=204)  # never reaches the client: the connection is gone
        after = "504"  # not under uvicorn: the answer closest in meaning (outcome unknown)
    if after in ("502", "504"):
        gateway = int(after)
        page = HTMLResponse(_GATEWAY_PAGES[gateway], status_code=gateway, headers=headers)
        return finish(page, interview_request_id=created_id, error_code=error_code)
    if after == "crash":
        crash = PlainTextResponse("Internal Server Error", status_code=500, headers=headers)
        return finish(crash, interview_request_id=created_id, error_code=error_code)
    return finish(response, interview_request_id=created_id, error_code=error_code)


# ---- API operations: (request, parsed body) -> (status, payload); ApiError for errors ----


def _create_interview(request: Request, body: Any) -> tuple[int, Any]:
    host = request.headers.get("host") or "127.0.0.1"
    return 201, _state(request).create_interview(body, f"{request.scope['scheme']}://{host}")


def _interview_id(request: Request) -> int:
    raw = request.path_params["interview_id"]
    if not raw.isdigit():
        raise ApiError(404, "not_found", "interview request not found")
    return int(raw)


def _get_interview(request: Request, body: Any) -> tuple[int, Any]:
    return 200, _state(request).get_interview(_interview_id(request))


def _patch_interview(request: Request, body: Any) -> tuple[int, Any]:
    return 200, _state(request).update_interview(_interview_id(request), body)


def _list_deals(request: Request, body: Any) -> tuple[int, Any]:
    return 200, _state(request).list_deals(request.query_params)


async def post_interviews(request: Request) -> Response:
    return await _serve_api(request, _create_interview, with_body=True)


async def interview_item(request: Request) -> Response:
    if request.method == "PATCH":
        return await _serve_api(request, _patch_interview, with_body=True)
    return await _serve_api(request, _get_interview, with_body=False)


async def get_deals(request: Request) -> Response:
    return await _serve_api(request, _list_deals, with_body=False)


async def survey(request: Request) -> Response:
    """The page behind survey_url: enough to show the link works."""
    interview = _state(request).interview_by_token(request.query_params.get("token", ""))
    if interview is None:
        return HTMLResponse("<h1>Survey not found</h1>", status_code=404)
    return HTMLResponse(
        f"<h1>Hindsight interview #{interview['interview_request_id']}</h1>"
        f"<p>Objective: {html.escape(interview['objective'] or 'win-loss interview')}</p>"
    )


# ---- admin (local development only: no auth, not rate limited) ----------------------------


async def admin_health(request: Request) -> Response:
    config = _state(request).config
    return JSONResponse(
        {"ok": True, "limit": config.limit, "window_seconds": config.window_seconds}
    )


async def admin_requests(request: Request) -> Response:
    try:
        since = int(request.query_params.get("since", "0"))
    except ValueError:
        return JSONResponse({"error": "since must be an integer"}, status_code=400)
    return JSONResponse(_state(request).requests(since))


async def admin_interviews(request: Request) -> Response:
    return JSONResponse(_state(request).interviews())


async def admin_complete_interview(request: Request) -> Response:
    try:
        return JSONResponse(_state(request).complete_interview(_interview_id(request)))
    except ApiError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)


async def admin_contacts(request: Request) -> Response:
    return JSONResponse(_state(request).contacts())


async def admin_faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        try:
            raw = await request.body()
            state.set_faults(FaultConfig.from_dict(json.loads(raw) if raw else None))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(state.faults().to_dict())


async def admin_spend_budget(request: Request) -> Response:
    raw = await request.body()
    try:
        remaining = int(json.loads(raw).get("remaining", 0)) if raw else 0
    except (ValueError, TypeError, AttributeError):
        return JSONResponse({"error": 'expected {"remaining": <int>}'}, status_code=400)
    decision = _state(request).spend_budget(remaining)
    return JSONResponse({"remaining": decision.remaining, "reset": decision.reset_header})


async def admin_reset(request: Request) -> Response:
    _state(request).reset()
    return JSONResponse({"ok": True})


def create_app(config: ServerConfig, state: HindsightState | None = None) -> Starlette:
    """The server's ASGI app; its state is at ``app.state.hindsight``."""
    routes = [
        Route(f"{API_PREFIX}/interviews", post_interviews, methods=["POST"]),
        Route(
            f"{API_PREFIX}/interviews/{{interview_id}}", interview_item, methods=["GET", "PATCH"]
        ),
        Route(f"{API_PREFIX}/deals", get_deals, methods=["GET"]),
        Route("/survey", survey, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/health", admin_health, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/requests", admin_requests, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/interviews", admin_interviews, methods=["GET"]),
        Route(
            f"{ADMIN_PREFIX}/interviews/{{interview_id}}/complete",
            admin_complete_interview,
            methods=["POST"],
        ),
        Route(f"{ADMIN_PREFIX}/contacts", admin_contacts, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/faults", admin_faults, methods=["GET", "POST"]),
        Route(f"{ADMIN_PREFIX}/spend_budget", admin_spend_budget, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/reset", admin_reset, methods=["POST"]),
    ]
    app = LocalHindsightApp(routes=routes)
    app.state.hindsight = state if state is not None else HindsightState(config)
    return app
