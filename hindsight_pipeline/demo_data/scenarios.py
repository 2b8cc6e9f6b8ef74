"""Hand-built scenario rows: every kind of dirt, guaranteed, however small the run.

Each scenario is one or two closed-lost deals (opportunity index 0.. in the order of
SCENARIOS) with their own dedicated contacts (contact index 0..), on the scenario day: the
second day of the range (the first when it has one day), so a stage change one day earlier
still falls in the range. They are clean except for their one kind of dirt: a valid email,
not opted out, amount of at least 5,000, a loss reason and note, a clean competitor, no
Hindsight deal id, exactly one primary role. Bulk dirt never touches them, and bulk deals
never use their contacts, so what the pipeline must do with each is unambiguous.

Each scenario deal is logged in `CrmFrames.dirt` (scenario=True) with its kind, its
opportunity_id and the contact_id the default rules should pick (null when none).

Two kinds change more than a scenario row's values: closed_lost_date_null has neither
stage_changed_at nor close_date (it belongs to no partition), and the
conflicting_duplicate_row scenarios get a second, disagreeing copy of a row appended after
the frames are built (`append_conflicting_copies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from hindsight_pipeline.demo_data import vocab as v
from hindsight_pipeline.demo_data.columns import (
    MICROS_PER_DAY,
    Ints,
    Table,
    choose,
    day_number,
)
from hindsight_pipeline.demo_data.config import DemoDataConfig
from hindsight_pipeline.demo_data.dirt import (
    CONTROL_CHAR_NOTE,
    UNICODE_NOTE,
    DirtLog,
    copy_person,
    long_note,
    shift_stage_day,
)
from hindsight_pipeline.demo_data.hindsight import hindsight_deal_ids

# Days between the two deals of the "weeks apart" scenario (fewer if the range is shorter).
WEEKS_APART_DAYS = 28
MIN_SCENARIO_AMOUNT = 5_000.0

UNICODE_NAMES = (
    ("José", "Müller"),
    ("Zoë", "Ångström"),
    ("雷", "李"),
    ("Łukasz", "Kowalczyk"),
    ("Siobhán", "O'Brien"),
)


@dataclass(frozen=True)
class Scenario:
    kind: str  # the `dirt.kind` it is logged under
    variant: str = ""  # which form of the kind, where there are several
    deals: int = 1
    contacts: int = 1


SCENARIOS: tuple[Scenario, ...] = (
    # the primary contact's email and flags
    Scenario("email_null"),
    Scenario("email_empty"),
    Scenario("email_malformed", "trailing_at"),  # jane.doe@
    Scenario("email_malformed", "no_at"),  # jane.doe.northwind.com
    Scenario("email_malformed", "space"),  # jane doe@northwind.com
    Scenario("email_malformed", "no_dot"),  # jane.doe@northwind
    Scenario("email_unnormalized", "padded"),  # '  Jane.Doe@NORTHWIND.COM ' (valid)
    Scenario("email_unnormalized", "upper"),  # 'JANE.DOE@NORTHWIND.COM' (valid)
    Scenario("internal_domain", "lower"),
    Scenario("internal_domain", "mixed_case"),  # Jane.Doe@ACME-SOFTWARE.COM
    Scenario("email_opt_out"),
    Scenario("contact_deleted"),  # the deal's only (primary) contact is deleted
    *(Scenario("unicode_name", f"{first} {last}") for first, last in UNICODE_NAMES),
    Scenario("control_chars_name"),
    Scenario("duplicate_email", deals=2, contacts=2),  # two records, same person, same day
    Scenario("shared_contact_same_day", deals=2),
    Scenario("shared_contact_weeks_apart", deals=2),
    Scenario("contact_duplicate_row"),  # the primary contact's row is delivered twice
    # the deal itself
    Scenario("opportunity_deleted"),
    Scenario("opportunity_duplicate_row"),
    Scenario("no_contact_role", contacts=0),
    Scenario("several_roles", contacts=3),  # three roles, one primary
    Scenario("no_primary_role", contacts=2),
    Scenario("several_primary_roles", contacts=3),  # two primaries: the lower contact_id wins
    Scenario("amount_null"),
    Scenario("amount_zero"),
    Scenario("amount_small"),  # 1.00
    Scenario("loss_reason_null"),  # and no competitor, no note
    Scenario("stage_changed_at_null"),  # closed-lost date falls back to close_date
    Scenario("stage_changed_other_day", "next_day"),
    Scenario("stage_changed_other_day", "previous_day"),
    Scenario("stage_changed_at_day_boundary", "first_microsecond"),
    Scenario("stage_changed_at_day_boundary", "last_microsecond"),
    Scenario("long_text", "60k"),
    Scenario("long_text", "200k_unicode"),
    Scenario("control_chars_text"),
    Scenario("unicode_text"),
    Scenario("competitor_dirty", "Gong.io"),
    Scenario("competitor_dirty", " Klue"),
    Scenario("competitor_dirty", "CLARI"),
    Scenario("hindsight_deal_id"),  # one the Hindsight server knows
    Scenario("hindsight_deal_id_stale"),  # one it rejects
    # neither stage_changed_at nor close_date: no closed-lost date, no partition
    Scenario("closed_lost_date_null"),
    # the sync delivers a second copy of a row that disagrees with the first on a flag
    # (appended after the exact sync copies, see append_conflicting_copies)
    Scenario("conflicting_duplicate_row", "contact_opted_out"),  # the copy is opted out
    Scenario("conflicting_duplicate_row", "contact_deleted"),  # the copy is deleted
    Scenario("conflicting_duplicate_row", "opportunity_deleted"),  # the deal's copy is deleted
)


@dataclass(frozen=True)
class ScenarioPlan:
    """Where the scenarios go: set before the bulk is drawn, applied after."""

    scenarios: tuple[Scenario, ...]
    first_deal: Ints  # per scenario: its first opportunity index
    first_contact: Ints  # per scenario: its first contact index
    deal_account: Ints  # per scenario deal
    deal_day: Ints  # per scenario deal: close_date as a day number
    contact_account: Ints  # per scenario contact
    contact_first: Ints  # index into FIRST_NAMES
    contact_last: Ints  # index into LAST_NAMES
    contact_title: Ints  # index into TITLES
    scenario_day: int

    @property
    def deal_count(self) -> int:
        return int(self.deal_day.size)

    @property
    def contact_count(self) -> int:
        return int(self.contact_account.size)

    def deals_of(self, kind: str, variant: str | None = None) -> Ints:
        return self._rows(kind, variant, self.first_deal, "deals")

    def contacts_of(self, kind: str, variant: str | None = None) -> Ints:
        return self._rows(kind, variant, self.first_contact, "contacts")

    def _rows(self, kind: str, variant: str | None, firsts: Ints, size: str) -> Ints:
        rows = [
            np.arange(first, first + getattr(scenario, size))
            for scenario, first in zip(self.scenarios, firsts, strict=True)
            if scenario.kind == kind and variant in (None, scenario.variant)
        ]
        return np.concatenate([np.empty(0, dtype=np.int64), *rows]).astype(np.int64)


def plan_scenarios(
    config: DemoDataConfig,
    account_count: int,
    rng: np.random.Generator,
    first_names: np.ndarray,
    last_names: np.ndarray,
) -> ScenarioPlan:
    scenarios = SCENARIOS if config.include_scenarios else ()
    deals = np.array([s.deals for s in scenarios], dtype=np.int64)
    contacts = np.array([s.contacts for s in scenarios], dtype=np.int64)
    scenario_day = config.start_date + timedelta(days=1 if config.day_count > 1 else 0)
    later_day = min(scenario_day + timedelta(days=WEEKS_APART_DAYS), config.end_date)

    # One account per scenario; distinct while there are enough accounts.
    account = rng.choice(account_count, size=len(scenarios), replace=len(scenarios) > account_count)
    deal_day = np.full(int(deals.sum()), day_number(scenario_day), dtype=np.int64)
    first_deal = np.cumsum(deals) - deals
    for index, scenario in enumerate(scenarios):
        if scenario.kind == "shared_contact_weeks_apart":
            deal_day[first_deal[index] + 1] = day_number(later_day)

    n_contacts = int(contacts.sum())
    # Plain ASCII names, so a scenario's only oddity is the one it is about.
    plain_first = [
        i for i, (name, _) in enumerate(v.FIRST_NAMES) if name.isascii() and name.isalpha()
    ]
    plain_last = [
        i for i, (name, _) in enumerate(v.LAST_NAMES) if name.isascii() and name.isalpha()
    ]
    first = np.asarray(plain_first)[rng.integers(0, len(plain_first), n_contacts)]
    last = np.asarray(plain_last)[rng.integers(0, len(plain_last), n_contacts)]
    first_contact = np.cumsum(contacts) - contacts
    first_index = {name: i for i, name in enumerate(first_names[:-1])}
    last_index = {name: i for i, name in enumerate(last_names[:-1])}
    for index, scenario in enumerate(scenarios):
        if scenario.kind == "unicode_name":
            first_name, last_name = scenario.variant.split(" ")
            first[first_contact[index]] = first_index[first_name]
            last[first_contact[index]] = last_index[last_name]

    return ScenarioPlan(
        scenarios=scenarios,
        first_deal=first_deal.astype(np.int64),
        first_contact=first_contact.astype(np.int64),
        deal_account=np.repeat(account, deals).astype(np.int64),
        deal_day=deal_day,
        contact_account=np.repeat(account, contacts).astype(np.int64),
        contact_first=first.astype(np.int64),
        contact_last=last.astype(np.int64),
        contact_title=choose(rng, v.TITLE_WEIGHTS, n_contacts),
        scenario_day=day_number(scenario_day),
    )


def apply_scenarios(
    plan: ScenarioPlan,
    config: DemoDataConfig,
    accounts: Table,
    contacts: Table,
    opportunities: Table,
    bulk_roles: Table,
) -> tuple[Table, DirtLog]:
    """Give each scenario its dirt and its contact roles; return all roles (scenario roles
    first) and the log of scenario rows. A loop over the few dozen scenarios, not rows."""
    dirt = DirtLog()
    role_deal: list[int] = []
    role_contact: list[int] = []
    role_name: list[str] = []
    role_primary: list[bool] = []

    def add_role(deal: int, contact: int, *, primary: bool, role: str = "Decision Maker") -> None:
        role_deal.append(deal)
        role_contact.append(contact)
        role_name.append(role)
        role_primary.append(primary)

    email = contacts["email"]
    stage = opportunities["stage_changed_at"]
    for index, scenario in enumerate(plan.scenarios):
        deal = int(plan.first_deal[index])
        contact = int(plan.first_contact[index])
        deals = list(range(deal, deal + scenario.deals))
        kind, variant = scenario.kind, scenario.variant
        # Spread the scenario deals over the day, away from midnight.
        for row in deals:
            slot = (row + 1) * (MICROS_PER_DAY // (plan.deal_count + 2))
            stage[row] = opportunities["close_date"][row] * MICROS_PER_DAY + slot

        expected = contact  # the contact the default rules should pick for each deal
        local = contacts["_local"][contact] if scenario.contacts else ""
        domain = accounts["_domain"][contacts["_account"][contact]] if scenario.contacts else ""

        if kind == "email_null":
            email[contact] = None
        elif kind == "email_empty":
            email[contact] = ""
        elif kind == "email_malformed":
            first, _, last = local.partition(".")
            email[contact] = {
                "trailing_at": f"{local}@",
                "no_at": f"{local}.{domain}",
                "space": f"{first} {last}@{domain}",
                "no_dot": f"{local}@{domain.split('.')[0]}",
            }[variant]
        elif kind == "email_unnormalized":
            mixed = f"{local.title()}@{domain.upper()}"
            email[contact] = f"  {mixed} " if variant == "padded" else mixed.upper()
        elif kind == "internal_domain":
            internal = config.internal_domains[0]
            email[contact] = (
                f"{local}@{internal}"
                if variant == "lower"
                else f"{local.title()}@{internal.upper()}"
            )
        elif kind == "email_opt_out":
            contacts["email_opt_out"][contact] = True
        elif kind == "contact_deleted":
            contacts["is_deleted"][contact] = True
        elif kind == "control_chars_name":
            first_name, last_name = contacts["first_name"][contact], contacts["last_name"][contact]
            contacts["first_name"][contact] = f"{first_name[:2]}\x00{first_name[2:]}"
            contacts["last_name"][contact] = f"{last_name}\x07\x1b[0m"
        elif kind == "duplicate_email":
            copy_person(contacts, contact + 1, contact)
        elif kind == "opportunity_deleted":
            opportunities["is_deleted"][deal] = True
        elif kind == "amount_null":
            opportunities["amount"][deal] = np.nan
        elif kind == "amount_zero":
            opportunities["amount"][deal] = 0.0
        elif kind == "amount_small":
            opportunities["amount"][deal] = 1.0
        elif kind == "loss_reason_null":
            opportunities["loss_reason"][deal] = None
            opportunities["primary_competitor"][deal] = None
            opportunities["loss_reason_detail"][deal] = None
        elif kind == "stage_changed_at_null":
            opportunities["_stage_changed_at_null"][deal] = True
        elif kind == "closed_lost_date_null":
            opportunities["_stage_changed_at_null"][deal] = True
            opportunities["_close_date_null"][deal] = True
        elif kind == "stage_changed_other_day":
            shift = np.array([1 if variant == "next_day" else -1])
            shift_stage_day(config, opportunities, np.array([deal]), shift)
        elif kind == "stage_changed_at_day_boundary":
            day_start = opportunities["close_date"][deal] * MICROS_PER_DAY
            stage[deal] = (
                day_start if variant == "first_microsecond" else day_start + MICROS_PER_DAY - 1
            )
        elif kind == "long_text":
            note = long_note(60_000) if variant == "60k" else long_note(200_000, unicode=True)
            opportunities["loss_reason_detail"][deal] = note
        elif kind == "control_chars_text":
            opportunities["loss_reason_detail"][deal] = CONTROL_CHAR_NOTE
        elif kind == "unicode_text":
            opportunities["loss_reason_detail"][deal] = UNICODE_NOTE
        elif kind == "competitor_dirty":
            opportunities["loss_reason"][deal] = "Competitor"
            opportunities["primary_competitor"][deal] = variant
        elif kind in ("hindsight_deal_id", "hindsight_deal_id_stale"):
            stale = kind == "hindsight_deal_id_stale"
            opportunities["hindsight_deal_id"][deal] = hindsight_deal_ids(
                [deal], config.seed, stale=stale
            )[0]

        # Contact roles.
        if kind == "no_contact_role":
            expected = -1
        elif kind == "several_roles":
            add_role(deal, contact, primary=True, role="Champion")
            add_role(deal, contact + 1, primary=False, role="Technical Evaluator")
            add_role(deal, contact + 2, primary=False, role="Economic Buyer")
        elif kind == "no_primary_role":
            add_role(deal, contact, primary=False, role="Champion")
            add_role(deal, contact + 1, primary=False, role="Influencer")
            expected = -1
        elif kind == "several_primary_roles":
            # Listed out of id order, so "first by contact_id" differs from "first row".
            add_role(deal, contact + 1, primary=True, role="Economic Buyer")
            add_role(deal, contact, primary=True, role="Champion")
            add_role(deal, contact + 2, primary=False, role="Influencer")
        elif kind == "duplicate_email":
            add_role(deal, contact, primary=True)
            add_role(deal + 1, contact + 1, primary=True)
        else:
            for row in deals:
                add_role(row, contact, primary=True)

        if kind == "duplicate_email":
            dirt.add(kind, opportunities=deals, contacts=[contact, contact + 1], scenario=True)
        else:
            dirt.add(kind, opportunities=deals, contacts=[expected] * len(deals), scenario=True)

    roles = {
        "role": np.concatenate([np.asarray(role_name, dtype=object), bulk_roles["role"]]),
        "is_primary": np.concatenate(
            [np.asarray(role_primary, dtype=bool), bulk_roles["is_primary"]]
        ),
        "_opportunity": np.concatenate(
            [np.asarray(role_deal, dtype=np.int64), bulk_roles["_opportunity"]]
        ),
        "_contact": np.concatenate(
            [np.asarray(role_contact, dtype=np.int64), bulk_roles["_contact"]]
        ),
    }
    for name, values in bulk_roles.items():
        roles.setdefault(name, values)
    return roles, dirt


def append_conflicting_copies(
    plan: ScenarioPlan, contacts: pd.DataFrame, opportunities: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Second copies of the conflicting_duplicate_row scenarios' rows, appended at the end,
    that disagree with the first copy (which stays clean) on one flag: a sync delivering a
    stale and a fresh version of the same record. The pipeline must be conservative: any
    deleted copy means deleted, any opted-out copy means opted out.

    The opted-out copy's email also has a trailing space, so it sorts after the clean copy:
    keeping "the first copy by email" would pick the clean one and email the buyer.
    """
    kind = "conflicting_duplicate_row"
    opted_out = contacts.iloc[plan.contacts_of(kind, "contact_opted_out")].copy()
    opted_out["email_opt_out"] = True
    opted_out["email"] = opted_out["email"] + " "
    deleted = contacts.iloc[plan.contacts_of(kind, "contact_deleted")].copy()
    deleted["is_deleted"] = True
    deleted_deal = opportunities.iloc[plan.deals_of(kind, "opportunity_deleted")].copy()
    deleted_deal["is_deleted"] = True
    return (
        pd.concat([contacts, opted_out, deleted], ignore_index=True),
        pd.concat([opportunities, deleted_deal], ignore_index=True),
    )
