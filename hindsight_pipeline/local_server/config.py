"""Configuration of the local Hindsight server: the org it pretends to be, its plan, its faults."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hindsight_pipeline.hindsight_api.plans import PLAN_LIMITS_PER_MINUTE
from hindsight_pipeline.local_server.faults import FaultConfig

DEFAULT_API_KEY = "hs_local_dev_key"
DEFAULT_SEQUENCE_IDS = ("seq_winloss_default", "seq_winloss_enterprise")
DEFAULT_INTERVIEW_TYPE_IDS = ("itype_winloss_buyer",)
# By plan name, as the command line takes it; the figures are the API contract's.
PLAN_LIMITS: dict[str, int] = {plan.value: limit for plan, limit in PLAN_LIMITS_PER_MINUTE.items()}

_COMPANIES = (
    "Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
    "Soylent", "Cyberdyne", "Tyrell", "Wonka Industries", "Massive Dynamic",
)  # fmt: skip
_PRODUCTS = ("Platform", "Analytics", "Automation", "Security Suite")
_TYPES = ("New Business", "Expansion", "Renewal")
_REGIONS = ("NA", "EMEA", "APAC", "LATAM")
_STAGES = ("Closed Lost", "Closed Lost", "Closed Won", "Negotiation")


def generate_deals(count: int, *, start: int = 1) -> list[dict[str, Any]]:
    """``count`` deterministic demo deals: ids ``deal_00001``…, Salesforce ids ``006000000000001``…

    Every third deal has a HubSpot id; stages cycle through Closed Lost (half), Closed Won
    and Negotiation.
    """
    base_day = date(2025, 1, 1)
    deals = []
    for i in range(start, start + count):
        stage = _STAGES[i % len(_STAGES)]
        created = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(days=i % 200)
        deals.append(
            {
                "id": f"deal_{i:05d}",
                "name": f"{_COMPANIES[i % len(_COMPANIES)]} - {_PRODUCTS[i % len(_PRODUCTS)]} #{i}",
                "amount": float(5_000 + (i * 7_919) % 245_000),
                "salesforce_id": f"006{i:012d}",
                "hubspot_id": str(90_000_000 + i) if i % 3 == 0 else None,
                "status_id": stage.lower().replace(" ", "_"),
                "status": stage,
                "previous_status_id": "negotiation" if stage.startswith("Closed") else "discovery",
                "type": _TYPES[i % len(_TYPES)],
                "region": _REGIONS[i % len(_REGIONS)],
                "owner_id": f"user_{i % 7 + 1:03d}",
                "close_date": (base_day + timedelta(days=i % 365)).isoformat(),
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "competitors": [],
            }
        )
    return deals


def load_deals_file(path: str | Path) -> list[dict[str, Any]]:
    """Deals from a JSON file: a list of objects (or ``{"deals": [...]}``), each with an ``id``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and "deals" in data:
        data = data["deals"]
    if not isinstance(data, list) or not all(isinstance(d, dict) and d.get("id") for d in data):
        raise ValueError(f"{path}: expected a JSON list of deal objects, each with an 'id'")
    return [dict(d, id=str(d["id"])) for d in data]


@dataclass
class ServerConfig:
    """Everything the local Hindsight server is started with.

    ``limit`` requests per fixed window of ``window_seconds`` (windows aligned to multiples
    of ``window_seconds`` since the Unix epoch), per API key. Interviews become
    ``completed`` (with a transcript) ``completion_after_seconds`` after creation.
    """

    api_key: str = DEFAULT_API_KEY
    limit: int = 60
    window_seconds: float = 60.0
    sequence_ids: list[str] = field(default_factory=lambda: list(DEFAULT_SEQUENCE_IDS))
    interview_type_ids: list[str] = field(default_factory=lambda: list(DEFAULT_INTERVIEW_TYPE_IDS))
    deals: list[dict[str, Any]] = field(default_factory=lambda: generate_deals(5))
    completion_after_seconds: float = 3600.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    # The request log is kept in memory; beyond this many records the oldest are dropped.
    max_logged_requests: int = 500_000

    def __post_init__(self) -> None:
        if not self.api_key or any(ch.isspace() for ch in self.api_key):
            raise ValueError("api_key must be non-empty without whitespace")
        if self.limit < 0:
            raise ValueError("limit must not be negative")
        if not self.window_seconds > 0:
            raise ValueError("window_seconds must be positive")
        if self.completion_after_seconds < 0:
            raise ValueError("completion_after_seconds must not be negative")
        ids = [str(d.get("id")) for d in self.deals]
        if len(set(ids)) != len(ids):
            raise ValueError("deal ids must be unique")

    def __repr__(self) -> str:
        # Never print the key, even the local one: the habit matters more than this key.
        return (
            f"ServerConfig(limit={self.limit}, window_seconds={self.window_seconds}, "
            f"sequence_ids={self.sequence_ids}, interview_type_ids={self.interview_type_ids}, "
            f"deals=<{len(self.deals)}>, completion_after_seconds={self.completion_after_seconds}, "
            f"faults={self.faults!r})"
        )
