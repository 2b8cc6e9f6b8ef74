"""The shared state of one API key's limit, and the three atomic steps on it (pure functions).

The file and Postgres stores load a :class:`KeyState`, apply one step under their lock and
write it back; the Redis store runs the same steps as a Lua script. Keeping the steps pure
lets them be tested without any store.

The state:

- ``grants``: when each permit of the last ``span`` seconds was granted. At most ``limit``
  grants in any ``span`` (= the server's window + a guard): a sliding-window log, correct
  whatever the alignment of the server's fixed windows (unknown for the real API).
- ``paced_until``: when the next permit is due at the steady pace of ``span / limit``
  (the "theoretical arrival time" of a GCRA pacer). A permit is granted from ``slack``
  seconds before it, so a caller that wakes late, or a sender stalled for a moment (a busy
  host), catches up instead of slowing the pace; after an idle spell at most
  ``slack / pace + 1`` permits go out back to back. Pacing keeps the sliding log from
  handing out a whole window's permits in one burst at its start and then replaying that
  burst one window later, each time a little later, because the requests in flight cannot
  all restart at once (measured: 5-10 % of the limit lost on a 3 s window).
- ``pause_until``: a 429 was served; nobody sends before then.
- ``server_left`` until ``server_reset_at``: what the server said is left in its current
  window (X-RateLimit-Remaining / -Reset), minus what we granted since. Other tools spend
  the same budget; the server's count is the truth. ``None``: nothing known for the
  server's current window.
- ``normal_waiters``: leases of normal-priority callers waiting for a permit (id -> the
  time they retry); low-priority callers yield to them.
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass, field
from typing import Any

from hindsight_pipeline.rate_limiting.priority import (
    LOW_PRIORITY_YIELD_SECONDS,
    NORMAL_LEASE_GRACE_SECONDS,
    Priority,
)

GRANTED = "granted"
WINDOW_FULL = "window_full"
PACED = "paced"
PAUSED = "paused"
SERVER_EXHAUSTED = "server_exhausted"
YIELD_TO_NORMAL = "yield_to_normal"


@dataclass
class KeyState:
    grants: list[float] = field(default_factory=list)  # ascending
    paced_until: float = 0.0
    pause_until: float = 0.0
    server_reset_at: float = 0.0
    server_left: int | None = None
    server_seen_acquired_at: float = 0.0
    normal_waiters: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "grants": self.grants,
                "paced_until": self.paced_until,
                "pause_until": self.pause_until,
                "server_reset_at": self.server_reset_at,
                "server_left": self.server_left,
                "server_seen_acquired_at": self.server_seen_acquired_at,
                "normal_waiters": self.normal_waiters,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes | None) -> KeyState:
        """The state in ``text``; a fresh state if it is empty or unreadable.

        Forgetting a damaged state is safe enough: the server's headers and 429s still
        correct the limiter within one window.
        """
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls.from_dict(data)
        except (ValueError, TypeError, AttributeError):
            return cls()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyState:
        left = data.get("server_left")
        return cls(
            grants=sorted(float(g) for g in data.get("grants", [])),
            paced_until=float(data.get("paced_until", 0.0)),
            pause_until=float(data.get("pause_until", 0.0)),
            server_reset_at=float(data.get("server_reset_at", 0.0)),
            server_left=None if left is None else int(left),
            server_seen_acquired_at=float(data.get("server_seen_acquired_at", 0.0)),
            normal_waiters={str(k): float(v) for k, v in data.get("normal_waiters", {}).items()},
        )


@dataclass(frozen=True)
class AcquireRequest:
    """One caller asking for a permit: its limit per ``span_s``, its priority, its id;
    ``pace_s``, the steady interval between permits (``span_s / limit`` from the limiter;
    0 turns pacing off and leaves only the sliding log) and ``pace_slack_s``, how far
    ahead of the pace a permit may be granted (at least ``pace_s``)."""

    limit: int
    span_s: float
    priority: Priority
    waiter_id: str
    pace_s: float = 0.0
    pace_slack_s: float = 0.0


@dataclass(frozen=True)
class AcquireDecision:
    """The store's answer. ``now`` is the store's clock (the grant time when granted)."""

    granted: bool
    wait_s: float
    now: float
    reason: str


def prune(state: KeyState, now: float, span_s: float) -> None:
    """Forget what no longer matters at ``now``."""
    cut = bisect.bisect_right(state.grants, now - span_s)
    if cut:
        del state.grants[:cut]
    if state.server_left is not None and now >= state.server_reset_at:
        state.server_left = None  # the server's window is over: its count restarted
    expired = [
        w
        for w, retry_at in state.normal_waiters.items()
        if retry_at + NORMAL_LEASE_GRACE_SECONDS <= now
    ]
    for waiter in expired:
        del state.normal_waiters[waiter]


def decide_acquire(state: KeyState, request: AcquireRequest, now: float) -> AcquireDecision:
    """Grant a permit (recording it) or say how long to wait, atomically with the caller."""
    prune(state, now, request.span_s)
    blocked = False
    wait = 0.0
    reason = GRANTED
    if state.pause_until > now:
        blocked, wait, reason = True, state.pause_until - now, PAUSED
    if state.server_left is not None and state.server_left <= 0:
        candidate = state.server_reset_at - now
        if not blocked or candidate > wait:
            blocked, wait, reason = True, candidate, SERVER_EXHAUSTED
    if len(state.grants) >= request.limit:
        # Room comes back when the grant `limit` places from the newest leaves the span.
        candidate = state.grants[-request.limit] + request.span_s - now
        if not blocked or candidate > wait:
            blocked, wait, reason = True, candidate, WINDOW_FULL
    slack = max(request.pace_s, request.pace_slack_s)
    if request.pace_s > 0 and state.paced_until - slack > now:
        candidate = state.paced_until - slack - now
        if not blocked or candidate > wait:
            blocked, wait, reason = True, candidate, PACED
    if request.priority is Priority.LOW and state.normal_waiters:
        latest_retry = max(state.normal_waiters.values())
        wait = max(wait if blocked else 0.0, latest_retry - now, 0.0) + LOW_PRIORITY_YIELD_SECONDS
        blocked, reason = True, YIELD_TO_NORMAL
    if blocked:
        wait = max(wait, 0.0)
        if request.priority is Priority.NORMAL:
            state.normal_waiters[request.waiter_id] = now + wait
        return AcquireDecision(False, wait, now, reason)
    bisect.insort(state.grants, now)
    if request.pace_s > 0:
        state.paced_until = max(state.paced_until, now) + request.pace_s
    if state.server_left is not None:
        state.server_left -= 1
    if request.waiter_id in state.normal_waiters:
        # A normal caller that had to wait keeps its lease (until the grace runs out) after
        # its grant: its next request, a store round trip away, still goes before a low one.
        state.normal_waiters[request.waiter_id] = now
    return AcquireDecision(True, 0.0, now, GRANTED)


def apply_server_view(
    state: KeyState,
    *,
    remaining: int,
    reset_at: float,
    acquired_at: float,
    now: float,
    span_s: float,
    same_window_tolerance_s: float,
) -> None:
    """Take in X-RateLimit-Remaining / -Reset of the response to a request granted at
    ``acquired_at``.

    The server had not yet counted what we granted after ``acquired_at``: it is subtracted
    from ``remaining``. Of two answers about the same server window, the one whose request
    was granted later knows more and replaces the other; an answer about an older window,
    or a window already over, is ignored.
    """
    prune(state, now, span_s)
    if not math.isfinite(reset_at) or reset_at <= now:
        return
    known = state.server_reset_at > 0.0
    same_window = known and abs(reset_at - state.server_reset_at) <= same_window_tolerance_s
    if known and not same_window and reset_at < state.server_reset_at:
        return
    if (
        same_window
        and state.server_left is not None
        and acquired_at < state.server_seen_acquired_at
    ):
        return
    granted_since = len(state.grants) - bisect.bisect_right(state.grants, acquired_at)
    state.server_reset_at = reset_at
    state.server_left = max(0, remaining - granted_since)
    state.server_seen_acquired_at = acquired_at


def apply_pause(state: KeyState, until: float) -> None:
    """Nobody on the key sends before ``until`` (a later pause wins)."""
    if math.isfinite(until) and until > state.pause_until:
        state.pause_until = until
