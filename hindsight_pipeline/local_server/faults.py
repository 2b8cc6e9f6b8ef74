"""Fault injection of the local Hindsight server: what can go wrong, and when.

Vocabulary of a fault (used in ``by_email`` rules and the ``queue``):

=============  =========================================================================
fault          effect
=============  =========================================================================
``500``        500 ``internal_error`` before processing: nothing is created
``503``        503 ``service_unavailable`` before processing: nothing is created
``429``        the rest of the window's budget is spent "by another tool"; this request
               gets 429 ``rate_limit_exceeded``: nothing is created
``502``        processed (the interview IS created), then 502 with an HTML body (no code)
``504``        processed, then 504 with an HTML body (no code)
``crash``      processed, then 500 ``text/plain`` without an error code (an unknown 5xx)
``drop``       processed, then the connection is closed without any response
``slow_<ms>``  answered normally, ``<ms>`` milliseconds later (on top of the latency)
``ok``         nothing (a queue placeholder)
=============  =========================================================================

A suffix limits how often a rule fires for its email: ``_once`` (the first matching
request only) or ``_x<N>`` (the first N); without one it fires every time. Examples:
``"500_once"``, ``"503_x2"``, ``"drop"``, ``"slow_1500_once"``.

- ``by_email``: ``{"a@x.com": "504", "b@x.com": ["slow_200", "500_once"]}`` applies to
  ``POST /interviews`` whose contact_email (lowercased) matches. With a list, every slow
  rule adds latency and the first other rule that has not run out applies.
- ``queue``: faults applied to the next authenticated API requests, one each, in arrival
  order, on any endpoint (so GETs can be faulted deterministically).
- rates (``rate_500``, ``rate_503``, ``rate_502``, ``rate_504``, ``rate_crash``, ``rate_drop``,
  ``rate_429_burst``): the probability that an authenticated API request gets that fault,
  drawn from a RNG seeded with ``seed`` (deterministic for one arrival order). They must sum
  to at most 1. A queue entry or an email rule takes precedence over the rates.
- ``latency``: added to every authenticated API request after it is counted and before it
  is answered: ``{"ms": 50}`` (fixed), ``{"kind": "uniform", "min_ms": 20, "max_ms": 80}``,
  or ``{"kind": "lognormal", "median_ms": 50, "sigma": 0.5}``; a bare number means fixed ms.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any

PRE_FAULTS = frozenset({"500", "503", "429"})  # answered before processing: nothing created
POST_FAULTS = frozenset({"502", "504", "crash", "drop"})  # answered after processing
FAULTS = PRE_FAULTS | POST_FAULTS | {"ok"}

_RULE_RE = re.compile(
    r"^(?:(?P<fault>500|503|429|502|504|crash|drop|ok)|slow_(?P<ms>\d+(?:\.\d+)?))(?:_(?P<times>once|x\d+))?$"
)
_RATE_FIELDS = (
    "rate_429_burst",
    "rate_500",
    "rate_503",
    "rate_502",
    "rate_504",
    "rate_crash",
    "rate_drop",
)


@dataclass(frozen=True)
class FaultRule:
    """One parsed rule: a fault (or ``slow`` with ``slow_ms``) and how many times it fires."""

    fault: str
    times: int | None = None  # None: every time
    slow_ms: float = 0.0

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        match = _RULE_RE.match(text.strip().lower()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"unknown fault rule {text!r} (see the fault vocabulary)")
        times_text = match.group("times")
        times = None if times_text is None else 1 if times_text == "once" else int(times_text[1:])
        if match.group("ms") is not None:
            return cls("slow", times, float(match.group("ms")))
        return cls(match.group("fault"), times)


@dataclass
class LatencyConfig:
    """Latency before each answer: fixed ``ms``, ``uniform`` [min_ms, max_ms], or ``lognormal``."""

    kind: str = "fixed"
    ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0
    median_ms: float = 0.0
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("fixed", "uniform", "lognormal"):
            raise ValueError(f"unknown latency kind {self.kind!r}")
        if min(self.ms, self.min_ms, self.max_ms, self.median_ms, self.sigma) < 0:
            raise ValueError("latency values must not be negative")
        if self.kind == "uniform" and self.max_ms < self.min_ms:
            raise ValueError("latency max_ms must be at least min_ms")

    @classmethod
    def from_value(cls, value: Any) -> LatencyConfig:
        if value is None:
            return cls()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls(ms=float(value))
        if isinstance(value, dict):
            return cls(**value)
        raise ValueError("latency must be a number of ms or an object")

    def sample_seconds(self, rng: random.Random) -> float:
        if self.kind == "uniform":
            return rng.uniform(self.min_ms, self.max_ms) / 1000.0
        if self.kind == "lognormal":
            if self.median_ms <= 0:
                return 0.0
            return rng.lognormvariate(math.log(self.median_ms), self.sigma) / 1000.0
        return self.ms / 1000.0


@dataclass
class FaultConfig:
    """The faults a server injects (see the module docstring for the vocabulary)."""

    latency: LatencyConfig = field(default_factory=LatencyConfig)
    rate_429_burst: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_502: float = 0.0
    rate_504: float = 0.0
    rate_crash: float = 0.0
    rate_drop: float = 0.0
    by_email: dict[str, str | list[str]] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)
    seed: int = 0

    def __post_init__(self) -> None:
        rates = [getattr(self, name) for name in _RATE_FIELDS]
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be in [0, 1] and sum to at most 1")
        self.by_email = {email.strip().lower(): rules for email, rules in self.by_email.items()}
        for rules in self.by_email.values():
            for rule in [rules] if isinstance(rules, str) else rules:
                FaultRule.parse(rule)
        for rule in self.queue:
            FaultRule.parse(rule)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FaultConfig:
        """From JSON (the admin endpoint, ``--faults-file``); unknown keys are an error."""
        if not data:
            return cls()
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        values = dict(data)
        values["latency"] = LatencyConfig.from_value(values.get("latency"))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request: a fault (or None) and extra latency in seconds."""

    fault: str | None
    extra_latency_s: float = 0.0
    source: str | None = None  # "queue", "email", "rate"

    @property
    def label(self) -> str | None:
        parts = []
        if self.fault is not None:
            parts.append(self.fault)
        if self.extra_latency_s:
            parts.append(f"slow_{round(self.extra_latency_s * 1000)}")
        return "+".join(parts) or None


class FaultInjector:
    """Decides the fault of each request. Not thread-safe: the caller holds a lock."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._fault_rng = random.Random(config.seed)
        self._latency_rng = random.Random(config.seed + 1)
        self._queue: deque[FaultRule] = deque(FaultRule.parse(r) for r in config.queue)
        self._email_rules = {
            email: [FaultRule.parse(r) for r in ([rules] if isinstance(rules, str) else rules)]
            for email, rules in config.by_email.items()
        }
        self._hits: Counter[tuple[str, int]] = Counter()

    def latency_seconds(self) -> float:
        return self.config.latency.sample_seconds(self._latency_rng)

    def decide(self, email: str | None) -> FaultDecision:
        """The fault for the next authenticated API request (``email`` for POST /interviews)."""
        if self._queue:
            rule = self._queue.popleft()
            if rule.fault == "slow":
                return FaultDecision(None, rule.slow_ms / 1000.0, "queue")
            return FaultDecision(None if rule.fault == "ok" else rule.fault, 0.0, "queue")
        if email is not None:
            rules = self._email_rules.get(email.strip().lower())
            if rules:
                decision = self._apply_email_rules(email.strip().lower(), rules)
                if decision is not None:
                    return decision
        return FaultDecision(self._draw_rate(), 0.0, "rate")

    def _apply_email_rules(self, email: str, rules: list[FaultRule]) -> FaultDecision | None:
        extra = 0.0
        fault: str | None = None
        for index, rule in enumerate(rules):
            key = (email, index)
            if rule.times is not None and self._hits[key] >= rule.times:
                continue
            if rule.fault == "slow":
                self._hits[key] += 1
                extra += rule.slow_ms / 1000.0
            elif fault is None:
                self._hits[key] += 1
                fault = None if rule.fault == "ok" else rule.fault
        if fault is None and extra == 0.0:
            return None
        if fault is None:
            # Only slowed down: the rates may still apply.
            return FaultDecision(self._draw_rate(), extra, "email")
        return FaultDecision(fault, extra, "email")

    def _draw_rate(self) -> str | None:
        if not any(getattr(self.config, name) for name in _RATE_FIELDS):
            return None
        draw = self._fault_rng.random()
        cumulative = 0.0
        for name in _RATE_FIELDS:
            cumulative += getattr(self.config, name)
            if draw < cumulative:
                return "429" if name == "rate_429_burst" else name.removeprefix("rate_")
        return None
