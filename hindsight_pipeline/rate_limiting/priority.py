"""Priorities of callers sharing one API key."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    """Who goes first when several callers wait for the same key.

    ``NORMAL``: the scheduled daily run's sends. ``LOW``: backfills and status polling. A low
    caller takes no permit while a normal caller anywhere on the key (any process, any host
    sharing the store) is waiting for one.
    """

    NORMAL = "normal"
    LOW = "low"


def parse_priority(priority: str | Priority) -> Priority:
    """``priority`` as a :class:`Priority`, or ValueError."""
    try:
        return Priority(str(priority).strip().lower())
    except ValueError:
        raise ValueError(f"unknown priority {priority!r}; expected 'normal' or 'low'") from None


# A normal waiter leaves a lease in the store: "I retry at T". It counts as waiting until
# T plus this grace (its process may be a little late, or busy), and no longer: a crashed
# process blocks low-priority callers for at most this long. A waiter granted its permit
# keeps the lease for the grace too, so a normal sender that is busy keeps its precedence.
NORMAL_LEASE_GRACE_SECONDS = 1.0
# A low caller that yields retries this long after the normal waiter's announced retry, so
# the normal waiter (a store round trip away) gets there first.
LOW_PRIORITY_YIELD_SECONDS = 0.05
