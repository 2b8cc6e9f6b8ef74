"""What the demo CRM generator is asked to produce."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class DirtRates:
    """Share of generated rows that get each kind of CRM dirt (0 turns a kind off).

    These apply to the bulk rows only. Whatever the rates, every kind is also present in a
    fixed set of hand-built scenario rows (see `scenarios.py`), so even a tiny run has one.
    Rates are per row of the table the dirt lives in; kinds drawn from the same row can
    overlap (an opted-out contact can also have a malformed email), as in a real CRM.
    """

    # contacts: the email is chosen from exactly one of these (or the clean address)
    email_null: float = 0.015
    email_empty: float = 0.005
    email_malformed: float = 0.01
    email_unnormalized: float = 0.02  # surrounding spaces / mixed case, valid once normalized
    internal_domain: float = 0.005
    # contacts: independent flags
    email_opt_out: float = 0.03
    contact_deleted: float = 0.01
    duplicate_email: float = 0.005  # a second contact record for the same person and email
    control_chars_name: float = 0.0005
    contact_duplicate_row: float = 0.002  # exact copy of the row, as a CRM sync re-delivers

    # opportunities
    opportunity_deleted: float = 0.01
    opportunity_duplicate_row: float = 0.002
    amount_null: float = 0.02
    amount_zero: float = 0.01
    amount_small: float = 0.01  # 1.00 to 99.00: below any sensible minimum amount
    loss_reason_null: float = 0.10  # of closed-lost deals
    competitor_dirty: float = 0.05  # of deals naming a competitor: a misspelt variant
    stage_changed_at_null: float = 0.05  # of closed-lost deals
    stage_changed_other_day: float = 0.05  # of closed deals: the UTC date is close_date ± 1
    control_chars_text: float = 0.001  # of deals with a loss_reason_detail
    long_text: float = 0.00005  # of closed-lost deals: a 50k+ character detail
    hindsight_deal_id: float = 0.30  # a deal id the Hindsight server knows
    hindsight_deal_id_stale: float = 0.02  # a deal id the Hindsight server rejects

    # opportunity_contact_roles
    no_contact_role: float = 0.04
    no_primary_role: float = 0.03
    several_primary_roles: float = 0.02  # of deals with two or more roles


@dataclass(frozen=True)
class DemoDataConfig:
    """A deterministic demo CRM: same config, same frames.

    Opportunities are spread evenly over the days in [start_date, end_date]: closed ones
    close on those days, open ones are created on them and close after end_date.
    `deals_per_day` is opportunities per day; `opportunity_count` overrides the total.
    """

    start_date: date
    end_date: date  # inclusive
    deals_per_day: int = 300
    seed: int = 42
    internal_domains: tuple[str, ...] = ("acme-software.com",)
    closed_lost_share: float = 0.35
    closed_won_share: float = 0.25  # the rest is open
    deals_per_account: float = 6.0
    dirt: DirtRates = field(default_factory=DirtRates)
    # Total opportunities, when set; else deals_per_day * number of days.
    opportunity_count: int | None = None
    # The hand-built scenario rows that guarantee every kind of dirt (see scenarios.py).
    include_scenarios: bool = True

    def __post_init__(self) -> None:
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        if self.seed < 0:
            raise ValueError("seed must be a non-negative integer")
        if self.deals_per_day <= 0:
            raise ValueError("deals_per_day must be positive")
        if not 0 <= self.closed_lost_share + self.closed_won_share <= 1:
            raise ValueError("closed_lost_share + closed_won_share must be within [0, 1]")
        if not self.internal_domains:
            raise ValueError("internal_domains needs at least one domain")
        if self.deals_per_account <= 0:
            raise ValueError("deals_per_account must be positive")
        if self.opportunity_count is not None and self.opportunity_count <= 0:
            raise ValueError("opportunity_count must be positive")

    @classmethod
    def for_opportunities(
        cls, count: int, *, end_date: date, deals_per_day: int = 300, **overrides: Any
    ) -> DemoDataConfig:
        """`count` opportunities ending on `end_date`, as many days back as deals_per_day needs."""
        days = max(1, math.ceil(count / deals_per_day))
        return cls(
            start_date=end_date - timedelta(days=days - 1),
            end_date=end_date,
            deals_per_day=deals_per_day,
            opportunity_count=count,
            **overrides,
        )

    @property
    def day_count(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def total_opportunities(self) -> int:
        if self.opportunity_count is not None:
            return self.opportunity_count
        return self.deals_per_day * self.day_count

    def replace(self, **changes: Any) -> DemoDataConfig:
        return dataclasses.replace(self, **changes)
