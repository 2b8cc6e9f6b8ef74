"""In-memory state of the local Hindsight server's one org. Thread-safe (one lock).

Holds contacts, interview requests, the rate-limit windows, the fault injector and the log
of every request received. The HTTP layer (``app.py``) calls it; the test harness reads it
directly from another thread.
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.faults import FaultConfig, FaultDecision, FaultInjector

FIRST_INTERVIEW_ID = 1001
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


def iso(timestamp: float | None) -> str | None:
    """Unix time as ISO 8601 UTC with milliseconds and a ``Z``."""
    if timestamp is None:
        return None
    return (
        datetime.fromtimestamp(timestamp, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


@dataclass(frozen=True)
class RateDecision:
    """The rate limiter's answer to one request, with the three headers' values."""

    allowed: bool
    limit: int
    remaining: int
    reset_header: int  # Unix seconds of the window's end, rounded up to a whole second
    retry_after: int  # whole seconds until then, at least 1

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_header),
        }


class ApiError(Exception):
    """An error answer in the envelope ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def _optional_string(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_request(f"{name} must be a string")
    return value


def _context_notes(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    raise _bad_request("contact_context must be a string or an object")


def _looks_like_email(value: str) -> bool:
    local, sep, domain = value.rpartition("@")
    return bool(sep and local and "." in domain and not any(ch.isspace() for ch in value))


class HindsightState:
    """The org: contacts, interviews, deals, rate-limit windows, faults and the request log."""

    def __init__(self, config: ServerConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._deals = [dict(d) for d in config.deals]
        self._deal_ids = {str(d["id"]) for d in self._deals}
        self._reset_locked(config.faults)

    # ---- lifecycle -----------------------------------------------------------------------

    def _reset_locked(self, faults: FaultConfig) -> None:
        self._contacts: dict[str, dict[str, Any]] = {}
        self._interviews: dict[int, dict[str, Any]] = {}
        self._next_interview_id = FIRST_INTERVIEW_ID
        self._next_contact = 1
        self._windows: dict[str, tuple[float, int]] = {}
        self._requests: list[dict[str, Any]] = []
        self._requests_offset = 0  # ids of records dropped from the front of the log
        self._faults = FaultInjector(faults)

    def reset(self) -> None:
        """Forget everything (contacts, interviews, windows, the log) and restore the start faults."""
        with self._lock:
            self._reset_locked(self.config.faults)

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the faults (their counters, queue and RNG start afresh)."""
        with self._lock:
            self._faults = FaultInjector(faults)

    def faults(self) -> FaultConfig:
        with self._lock:
            return self._faults.config

    # ---- auth and rate limit -------------------------------------------------------------

    def check_key(self, authorization: str | None) -> str:
        """``"valid"``, ``"invalid"`` or ``"missing"`` for an Authorization header value."""
        if not authorization:
            return "missing"
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "invalid"
        ok = hmac.compare_digest(token.strip().encode(), self.config.api_key.encode())
        return "valid" if ok else "invalid"

    def _window(self, now: float) -> tuple[float, float]:
        size = self.config.window_seconds
        start = math.floor(now / size) * size
        return start, start + size

    def _decision(self, now: float, count: int, allowed: bool) -> RateDecision:
        _, end = self._window(now)
        limit = self.config.limit
        # A fractional window end is rounded UP: a client that waits until the header's time
        # is always in the next window.
        reset_header = math.ceil(end - 1e-9)
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=max(0, limit - count),
            reset_header=reset_header,
            retry_after=max(1, math.ceil(reset_header - now)),
        )

    def admit(self, now: float, *, burst: bool = False) -> RateDecision:
        """Count one request on the org's key at ``now``. ``burst``: another tool spent the rest
        of the window's budget just before it."""
        with self._lock:
            start, _ = self._window(now)
            window_start, count = self._windows.get("org", (start, 0))
            if window_start != start:
                count = 0
            if burst:
                count = max(count, self.config.limit)
            count += 1
            self._windows["org"] = (start, count)
            return self._decision(now, count, count <= self.config.limit)

    def peek_window(self, now: float) -> RateDecision:
        """The headers of the current window without counting (for 401 answers)."""
        with self._lock:
            start, _ = self._window(now)
            window_start, count = self._windows.get("org", (start, 0))
            return self._decision(now, count if window_start == start else 0, True)

    def spend_budget(self, remaining: int = 0) -> RateDecision:
        """As if another tool had spent the window's budget, leaving ``remaining``."""
        now = self.clock()
        with self._lock:
            start, _ = self._window(now)
            window_start, count = self._windows.get("org", (start, 0))
            if window_start != start:
                count = 0
            count = max(count, self.config.limit - max(0, remaining))
            self._windows["org"] = (start, count)
            return self._decision(now, count, True)

    # ---- faults --------------------------------------------------------------------------

    def decide_fault(self, email: str | None) -> tuple[FaultDecision, float]:
        """The fault of one authenticated request and its total latency in seconds."""
        with self._lock:
            decision = self._faults.decide(email)
            latency = self._faults.latency_seconds() + decision.extra_latency_s
            return decision, latency

    # ---- the request log -----------------------------------------------------------------

    def log_arrival(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append a request record (its ``id`` is set here) and return it for later updates."""
        with self._lock:
            record["id"] = self._requests_offset + len(self._requests)
            self._requests.append(record)
            if len(self._requests) > self.config.max_logged_requests:
                dropped = len(self._requests) // 2
                del self._requests[:dropped]
                self._requests_offset += dropped
            return record

    def update_record(self, record: dict[str, Any], **fields: Any) -> None:
        with self._lock:
            record.update(fields)

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Copies of the records with ``id >= since``, oldest first."""
        with self._lock:
            start = max(0, since - self._requests_offset)
            return [dict(r) for r in self._requests[start:]]

    # ---- POST /interviews ----------------------------------------------------------------

    def create_interview(self, body: Any, base_url: str) -> dict[str, Any]:
        """Validate like Hindsight and create an interview request; ApiError(400) otherwise."""
        if not isinstance(body, dict):
            raise _bad_request("the body must be a JSON object")
        email = body.get("contact_email")
        if email is None or (isinstance(email, str) and not email.strip()):
            raise _bad_request("contact_email is required")
        if not isinstance(email, str) or not _looks_like_email(email.strip()):
            raise _bad_request("contact_email is not a valid email address")
        sequence_id = _optional_string(body, "sequence_id")
        interview_type_id = _optional_string(body, "interview_type_id")
        if not sequence_id and not interview_type_id:
            raise _bad_request("sequence_id or interview_type_id is required")
        contact_name = _optional_string(body, "contact_name")
        deal_id = _optional_string(body, "deal_id")
        objective = _optional_string(body, "objective")
        notes = _context_notes(body.get("contact_context"))
        if sequence_id and sequence_id not in self.config.sequence_ids:
            raise _bad_request("sequence_id not found")
        if interview_type_id and interview_type_id not in self.config.interview_type_ids:
            raise _bad_request("interview_type_id not found")
        if deal_id is not None and deal_id not in self._deal_ids:
            raise _bad_request("deal_id not found")

        now = self.clock()
        token = "tok_" + secrets.token_urlsafe(12)
        with self._lock:
            key = email.strip().lower()
            contact = self._contacts.get(key)
            if contact is None:
                contact = {
                    "contact_id": f"contact_{self._next_contact:06d}",
                    "email": key,
                    "name": None,
                    "notes": None,
                    "created_at": now,
                }
                self._next_contact += 1
                self._contacts[key] = contact
            if contact_name is not None:
                contact["name"] = contact_name
            if notes is not None:
                contact["notes"] = notes  # overwrites, as documented
            contact["updated_at"] = now
            interview_id = self._next_interview_id
            self._next_interview_id += 1
            on_sequence = bool(sequence_id)
            interview = {
                "interview_request_id": interview_id,
                "contact_id": contact["contact_id"],
                "contact_email": key,
                "deal_id": deal_id,
                "sequence_id": sequence_id or None,
                "interview_type_id": interview_type_id or None,
                "objective": objective,
                "survey_token": token,
                "survey_url": f"{base_url.rstrip('/')}/survey?token={token}",
                "initial_status": "sent" if on_sequence else "created",
                "created_at": now,
                "email_sent_at": now if on_sequence else None,
                "completed_at": None,
            }
            self._interviews[interview_id] = interview
        return {
            "interview_request_id": interview_id,
            "contact_id": interview["contact_id"],
            "deal_id": deal_id,
            "survey_url": interview["survey_url"],
            "survey_token": token,
            "status": interview["initial_status"],
        }

    # ---- GET / PATCH /interviews/{id} ----------------------------------------------------

    def _completed_at(self, interview: dict[str, Any]) -> float | None:
        if interview["completed_at"] is not None:
            return float(interview["completed_at"])
        due = interview["created_at"] + self.config.completion_after_seconds
        return due if self.clock() >= due else None

    def _transcript(self, interview: dict[str, Any], completed_at: float) -> dict[str, Any]:
        contact = self._contacts.get(interview["contact_email"], {})
        name = contact.get("name") or interview["contact_email"].split("@")[0]
        first = name.split()[0]
        goal = interview["objective"] or "understand how your evaluation went"
        content = "\n\n".join(
            [
                f"**Paige:** Hi {first}, thanks for making time. I'd like to {goal[0].lower() + goal[1:]}.",
                f"**{name}:** Happy to help. In the end the decision came down to price and timing.",
                "**Paige:** What would have changed the outcome?",
                f"**{name}:** A clearer integration story and a pilot we could run ourselves.",
            ]
        )
        return {
            "document_id": f"doc_{interview['interview_request_id']}",
            "content": content,
            "created_at": iso(completed_at),
        }

    def _public_interview(self, interview: dict[str, Any]) -> dict[str, Any]:
        completed_at = self._completed_at(interview)
        return {
            "interview_request_id": interview["interview_request_id"],
            "contact_id": interview["contact_id"],
            "deal_id": interview["deal_id"],
            "survey_url": interview["survey_url"],
            "status": "completed" if completed_at is not None else interview["initial_status"],
            "objective": interview["objective"],
            "email_sent_at": iso(interview["email_sent_at"]),
            "created_at": iso(interview["created_at"]),
            "transcript": None
            if completed_at is None
            else self._transcript(interview, completed_at),
        }

    def get_interview(self, interview_id: int) -> dict[str, Any]:
        with self._lock:
            interview = self._interviews.get(interview_id)
            if interview is None:
                raise ApiError(404, "not_found", "interview request not found")
            return self._public_interview(interview)

    def update_interview(self, interview_id: int, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _bad_request("the body must be a JSON object")
        fields = {
            k: body[k]
            for k in ("contact_context", "contact_name", "objective")
            if body.get(k) is not None
        }
        if not fields:
            raise _bad_request(
                "at least one of contact_context, contact_name, objective is required"
            )
        name = _optional_string(body, "contact_name")
        objective = _optional_string(body, "objective")
        notes = _context_notes(body.get("contact_context"))
        with self._lock:
            interview = self._interviews.get(interview_id)
            if interview is None:
                raise ApiError(404, "not_found", "interview request not found")
            contact = self._contacts[interview["contact_email"]]
            if name is not None:
                contact["name"] = name
            if notes is not None:
                contact["notes"] = notes
            if objective is not None:
                interview["objective"] = objective
        return {"interview_request_id": interview_id}

    def complete_interview(self, interview_id: int) -> dict[str, Any]:
        """Mark an interview completed now (admin: skip waiting for completion_after_seconds)."""
        with self._lock:
            interview = self._interviews.get(interview_id)
            if interview is None:
                raise ApiError(404, "not_found", "interview request not found")
            if interview["completed_at"] is None:
                interview["completed_at"] = self.clock()
            return self._public_interview(interview)

    def interview_by_token(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            for interview in self._interviews.values():
                if interview["survey_token"] == token:
                    return dict(interview)
        return None

    # ---- GET /deals ----------------------------------------------------------------------

    def list_deals(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        page_size = _int_param(query, "page_size", DEFAULT_PAGE_SIZE)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise _bad_request(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        page_index = _int_param(query, "page_index", 0)
        if page_index < 0:
            raise _bad_request("page_index must not be negative")
        deals = self._deals
        search = (query.get("searchQuery") or "").strip().lower()
        if search:
            deals = [
                d
                for d in deals
                if any(
                    search in str(d.get(k) or "").lower()
                    for k in ("name", "id", "salesforce_id", "hubspot_id")
                )
            ]
        statuses = _json_param(query, "status", list)
        if statuses is not None:
            wanted = {str(s).lower() for s in statuses}
            filter_type = (query.get("status_filter_type") or "is any of").strip().lower()
            if filter_type not in ("is any of", "is not"):
                raise _bad_request('status_filter_type must be "is any of" or "is not"')

            def matches(deal: dict[str, Any]) -> bool:
                return bool(
                    {
                        str(deal.get("status") or "").lower(),
                        str(deal.get("status_id") or "").lower(),
                    }
                    & wanted
                )

            deals = [d for d in deals if matches(d) == (filter_type == "is any of")]
        amount = _json_param(query, "amount", dict)
        if amount is not None:
            low, high = amount.get("min"), amount.get("max")
            deals = [
                d
                for d in deals
                if isinstance(d.get("amount"), int | float)
                and (low is None or d["amount"] >= low)
                and (high is None or d["amount"] <= high)
            ]
        close_date = _json_param(query, "close_date", dict)
        if close_date is not None:
            start, end = close_date.get("from"), close_date.get("to")
            deals = [
                d
                for d in deals
                if d.get("close_date")
                and (start is None or str(d["close_date"]) >= str(start))
                and (end is None or str(d["close_date"]) <= str(end))
            ]
        owner_ids = _json_param(query, "owner_ids", list)
        if owner_ids is not None:
            owners = {str(o) for o in owner_ids}
            deals = [d for d in deals if str(d.get("owner_id")) in owners]

        sort = query.get("sort") or "id"
        descending = (query.get("sort_order") or "asc").lower() == "desc"
        if (query.get("sort_order") or "asc").lower() not in ("asc", "desc"):
            raise _bad_request("sort_order must be asc or desc")
        deals = sorted(deals, key=lambda d: _sort_key(d.get(sort)), reverse=descending)
        page = deals[page_index * page_size : (page_index + 1) * page_size]
        columns = query.get("columns")
        if columns:
            names = {c.strip() for c in columns.split(",") if c.strip()} | {"id"}
            page = [{k: v for k, v in d.items() if k in names} for d in page]
        return [dict(d) for d in page]

    # ---- inspection ----------------------------------------------------------------------

    def interviews(self) -> list[dict[str, Any]]:
        """Every interview request with its internal fields (email, ids, times), oldest first."""
        with self._lock:
            out = []
            for interview in self._interviews.values():
                public = self._public_interview(interview)
                out.append(
                    {
                        **interview,
                        "status": public["status"],
                        "transcript": public["transcript"],
                        "created_at_iso": public["created_at"],
                    }
                )
            return out

    def contacts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._contacts.values()]


def _sort_key(value: Any) -> tuple[int, int, Any]:
    # Numbers sort as numbers, everything else as text, missing values last.
    if value is None:
        return (1, 0, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, 0, value)
    return (0, 1, str(value))


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _bad_request(f"{name} must be an integer") from None


def _json_param(query: Mapping[str, str], name: str, kind: type) -> Any:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise _bad_request(f"{name} must be a JSON {kind.__name__}") from None
    if not isinstance(value, kind):
        raise _bad_request(f"{name} must be a JSON {'array' if kind is list else 'object'}")
    return value
