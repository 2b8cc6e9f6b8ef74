"""The pure steps on one key's state, with explicit clocks (no store, no sleeping)."""

from __future__ import annotations

from hindsight_pipeline.rate_limiting.key_state import (
    PACED,
    PAUSED,
    SERVER_EXHAUSTED,
    WINDOW_FULL,
    YIELD_TO_NORMAL,
    AcquireRequest,
    KeyState,
    apply_pause,
    apply_server_view,
    decide_acquire,
)
from hindsight_pipeline.rate_limiting.priority import (
    LOW_PRIORITY_YIELD_SECONDS,
    NORMAL_LEASE_GRACE_SECONDS,
    Priority,
)

T0 = 1_800_000_000.0


def normal(waiter: str = "n", limit: int = 5, span: float = 10.0) -> AcquireRequest:
    return AcquireRequest(limit=limit, span_s=span, priority=Priority.NORMAL, waiter_id=waiter)


def low(waiter: str = "l", limit: int = 5, span: float = 10.0) -> AcquireRequest:
    return AcquireRequest(limit=limit, span_s=span, priority=Priority.LOW, waiter_id=waiter)


def test_grants_up_to_the_limit_per_span_then_says_when_room_comes_back() -> None:
    state = KeyState()
    for i in range(5):
        assert decide_acquire(state, normal(), T0 + i).granted
    refused = decide_acquire(state, normal(), T0 + 5)
    assert not refused.granted and refused.reason == WINDOW_FULL
    # The oldest grant (T0) leaves the span at T0 + 10.
    assert refused.wait_s == 5.0
    assert not decide_acquire(state, normal(), T0 + 9.999).granted
    assert decide_acquire(state, normal(), T0 + 10.0).granted


def test_any_interval_of_one_span_holds_at_most_limit_grants() -> None:
    state = KeyState()
    granted = []
    now = T0
    while now < T0 + 60:
        decision = decide_acquire(state, normal(limit=7, span=3.0), now)
        if decision.granted:
            granted.append(now)
            now += 0.01
        else:
            now += decision.wait_s
    for start in granted:
        assert sum(1 for g in granted if start <= g < start + 3.0) <= 7
    # Sustained: 7 per 3 s span.
    assert len(granted) >= 7 * 20 - 7


def paced(
    limit: int = 10, span: float = 10.0, waiter: str = "n", slack: float = 0.0
) -> AcquireRequest:
    return AcquireRequest(
        limit=limit,
        span_s=span,
        priority=Priority.NORMAL,
        waiter_id=waiter,
        pace_s=span / limit,
        pace_slack_s=slack,
    )


def test_paced_permits_come_one_per_span_over_limit_after_two_back_to_back() -> None:
    state = KeyState()
    assert decide_acquire(state, paced(), T0).granted
    assert decide_acquire(state, paced(), T0).granted
    refused = decide_acquire(state, paced(), T0)
    assert (refused.granted, refused.reason, refused.wait_s) == (False, PACED, 1.0)
    assert decide_acquire(state, paced(), T0 + 1.0).granted
    assert not decide_acquire(state, paced(), T0 + 1.5).granted
    # After an idle spell the pace restarts from now: two at once again, never a window's worth.
    assert decide_acquire(state, paced(), T0 + 100).granted
    assert decide_acquire(state, paced(), T0 + 100).granted
    assert not decide_acquire(state, paced(), T0 + 100).granted


def test_a_caller_that_wakes_late_does_not_slow_the_pace() -> None:
    # Each waiter wakes 10 % of an interval after it was told to. The pace absorbs it: the
    # cost is that lateness once per span (where the sliding log binds), not once per
    # permit (200 x 0.1 s = 20 s), and any span still holds at most `limit`.
    state = KeyState()
    granted: list[float] = []
    now = T0
    while len(granted) < 200:
        decision = decide_acquire(state, paced(limit=10, span=10.0), now)
        if decision.granted:
            granted.append(now)
        else:
            now += decision.wait_s + 0.1
    spans = 20
    assert granted[-1] - granted[0] <= 198.0 + spans * 0.1 + 1e-6
    for start in granted:
        assert sum(1 for g in granted if start <= g < start + 10.0) <= 10


def test_a_lower_limit_on_the_same_key_counts_everyone_s_grants() -> None:
    # A backfill with share 0.5 and the daily run with share 1 share one log.
    state = KeyState()
    for i in range(3):
        assert decide_acquire(state, normal(limit=10), T0 + i * 0.1).granted
    assert not decide_acquire(state, low(limit=3), T0 + 1).granted
    assert decide_acquire(state, normal(limit=10), T0 + 1).granted


def test_a_pause_refuses_every_caller_until_it_ends() -> None:
    state = KeyState()
    apply_pause(state, T0 + 4)
    apply_pause(state, T0 + 2)  # an earlier pause does not shorten it
    decision = decide_acquire(state, normal(), T0 + 1)
    assert (decision.granted, decision.reason, decision.wait_s) == (False, PAUSED, 3.0)
    assert decide_acquire(state, normal(), T0 + 4).granted


def test_the_server_s_remaining_caps_the_window_minus_what_we_granted_since() -> None:
    state = KeyState()
    # Three grants; the response to the first says 4 are left in a window ending T0 + 30.
    for i in range(3):
        decide_acquire(state, normal(limit=100, span=61), T0 + i)
    apply_server_view(
        state,
        remaining=4,
        reset_at=T0 + 30,
        acquired_at=T0,
        now=T0 + 3,
        span_s=61,
        same_window_tolerance_s=1,
    )
    # The server had not counted the two granted after T0: 4 - 2 = 2 are left.
    assert state.server_left == 2
    assert decide_acquire(state, normal(limit=100, span=61), T0 + 4).granted
    assert decide_acquire(state, normal(limit=100, span=61), T0 + 5).granted
    refused = decide_acquire(state, normal(limit=100, span=61), T0 + 6)
    assert (refused.granted, refused.reason, refused.wait_s) == (False, SERVER_EXHAUSTED, 24.0)
    # The server's window is over at its reset: its count restarted.
    assert decide_acquire(state, normal(limit=100, span=61), T0 + 30).granted


def test_server_views_newer_window_replaces_older_answers_are_ignored() -> None:
    state = KeyState()
    view = dict(now=T0, span_s=61.0, same_window_tolerance_s=1.0)
    apply_server_view(state, remaining=10, reset_at=T0 + 30, acquired_at=T0 - 1, **view)
    # A response to an earlier-granted request of the same window knows less: ignored.
    apply_server_view(state, remaining=50, reset_at=T0 + 30, acquired_at=T0 - 2, **view)
    assert state.server_left == 10
    # A later-granted one replaces it, even if it says more is left.
    apply_server_view(state, remaining=12, reset_at=T0 + 30.4, acquired_at=T0 - 0.5, **view)
    assert state.server_left == 12
    # An answer about an older window changes nothing; one about a window already over too.
    apply_server_view(state, remaining=0, reset_at=T0 + 5, acquired_at=T0, **view)
    apply_server_view(state, remaining=0, reset_at=T0 - 1, acquired_at=T0, **view)
    assert state.server_left == 12
    # A newer window replaces.
    apply_server_view(state, remaining=0, reset_at=T0 + 90, acquired_at=T0 - 3, **view)
    assert (state.server_left, state.server_reset_at) == (0, T0 + 90)


def test_a_low_caller_yields_while_a_normal_one_waits() -> None:
    state = KeyState()
    decide_acquire(state, normal(limit=1), T0)
    refused = decide_acquire(state, normal("daily", limit=1), T0 + 1)
    assert state.normal_waiters == {"daily": T0 + 10}
    # At T0 + 10 the window has room, but the daily run announced it retries then.
    yielded = decide_acquire(state, low("backfill", limit=1), T0 + 10)
    assert (yielded.granted, yielded.reason) == (False, YIELD_TO_NORMAL)
    assert yielded.wait_s == LOW_PRIORITY_YIELD_SECONDS
    assert refused.wait_s == 9.0
    assert decide_acquire(state, normal("daily", limit=1), T0 + 10.01).granted
    # Granted, it keeps its lease for the grace: its next request still goes first.
    assert state.normal_waiters == {"daily": T0 + 10.01}
    assert not decide_acquire(state, low("backfill", limit=5), T0 + 10.5).granted
    assert decide_acquire(
        state, low("backfill", limit=5), T0 + 10.01 + NORMAL_LEASE_GRACE_SECONDS
    ).granted
    assert state.normal_waiters == {}


def test_a_normal_waiter_that_disappears_stops_blocking_after_the_grace() -> None:
    state = KeyState()
    decide_acquire(state, normal(limit=1), T0)
    decide_acquire(state, normal("crashed", limit=1), T0 + 1)  # retries at T0 + 10, never does
    assert not decide_acquire(state, low(limit=1), T0 + 10 + NORMAL_LEASE_GRACE_SECONDS / 2).granted
    assert decide_acquire(state, low(limit=1), T0 + 10 + NORMAL_LEASE_GRACE_SECONDS).granted


def test_state_survives_json_and_a_damaged_file_reads_as_fresh() -> None:
    state = KeyState()
    decide_acquire(state, normal(), T0)
    decide_acquire(state, normal(limit=1), T0 + 1)
    decide_acquire(state, paced(), T0 + 2)
    assert state.paced_until == T0 + 3
    apply_pause(state, T0 + 3)
    apply_server_view(
        state,
        remaining=3,
        reset_at=T0 + 9,
        acquired_at=T0,
        now=T0,
        span_s=10.0,
        same_window_tolerance_s=1,
    )
    assert KeyState.from_json(state.to_json()) == state
    assert KeyState.from_json(b"{not json") == KeyState()
    assert KeyState.from_json("") == KeyState()


def test_the_pace_slack_lets_a_stalled_sender_catch_up() -> None:
    # Pace 1 s, slack 3 s: after idling, 4 permits go out back to back; a sender that
    # stalls for 2.5 s sends the permits it missed at once afterwards, so by the end it has
    # had as many as a sender that never stalled.
    request = paced(limit=20, span=20.0, slack=3.0)

    def sender(stall_from: float, stall_until: float) -> int:
        state, granted, now = KeyState(), 0, T0
        while now <= T0 + 8.0:
            if stall_from <= now < stall_until:
                now = stall_until
                continue
            decision = decide_acquire(state, request, now)
            if decision.granted:
                granted += 1
            else:
                now += decision.wait_s
        return granted

    state = KeyState()
    assert [decide_acquire(state, request, T0).granted for _ in range(5)] == [True] * 4 + [False]
    steady = sender(0.0, 0.0)
    assert steady == 4 + 8
    assert sender(T0 + 3.2, T0 + 5.7) == steady
