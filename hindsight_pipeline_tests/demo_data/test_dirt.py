"""Every kind of CRM dirt is in the data, found from the data itself (not only the log),
and the scenario rows are exactly what scenarios.py documents."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from hindsight_pipeline.demo_data import CrmFrames, DirtRates, generate_crm
from hindsight_pipeline.demo_data.scenarios import SCENARIOS

from .conftest import SMALL

VALID_EMAIL = re.compile(r"[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")
CLEAN_COMPETITORS = {"Gong", "Clari", "Klue", "Crayon", "Clozd", "Chorus", "Salesloft", "Other"}
INTERNAL = set(SMALL.internal_domains)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _normalized(email: pd.Series) -> pd.Series:
    return email.str.strip().str.lower()


def _is_valid(email: pd.Series) -> pd.Series:
    return _normalized(email).str.fullmatch(VALID_EMAIL.pattern).fillna(False).astype(bool)


def _lost(f: CrmFrames) -> pd.DataFrame:
    o = f.opportunities.drop_duplicates("opportunity_id")
    return o[o["stage_name"] == "Closed Lost"]


def _closed_lost_day(o: pd.DataFrame) -> pd.Series:
    return o["stage_changed_at"].dt.date.where(o["stage_changed_at"].notna(), o["close_date"])


def _role_counts(f: CrmFrames) -> pd.DataFrame:
    roles = f.opportunity_contact_roles
    return roles.groupby("opportunity_id").agg(
        roles=("contact_id", "size"), primaries=("is_primary", "sum")
    )


def _primary_on_lost(f: CrmFrames) -> pd.DataFrame:
    roles = f.opportunity_contact_roles
    lost = _lost(f)
    primary = roles[roles["is_primary"]].merge(lost, on="opportunity_id")
    primary["day"] = _closed_lost_day(primary)
    return primary[primary["day"].notna()]  # a deal with no date belongs to no day


def _shared_contact_gaps(f: CrmFrames) -> pd.Series:
    """Per contact primary on 2+ closed-lost deals: the smallest gap in days between them."""
    primary = _primary_on_lost(f)
    shared = primary[primary["contact_id"].duplicated(keep=False)]
    days = shared.groupby("contact_id")["day"].apply(lambda d: sorted(d))
    return days.apply(lambda d: min((b - a).days for a, b in itertools.pairwise(d)))


def _max_shared_gap(f: CrmFrames) -> int:
    primary = _primary_on_lost(f)
    span = primary.groupby("contact_id")["day"].agg(lambda d: (max(d) - min(d)).days)
    return int(span.max())


# kind -> how many rows of the data show it (computed from the data, not the dirt log)
DETECTORS: dict[str, Callable[[CrmFrames], int]] = {
    "email_null": lambda f: int(f.contacts["email"].isna().sum()),
    "email_empty": lambda f: int((f.contacts["email"] == "").sum()),
    "email_malformed": lambda f: int(
        (f.contacts["email"].fillna("").ne("") & ~_is_valid(f.contacts["email"])).sum()
    ),
    "email_unnormalized": lambda f: int(
        (_is_valid(f.contacts["email"]) & (f.contacts["email"] != _normalized(f.contacts["email"]))).sum()
    ),
    "internal_domain": lambda f: int(
        _normalized(f.contacts["email"]).str.split("@").str[-1].isin(INTERNAL).sum()
    ),
    "email_opt_out": lambda f: int(f.contacts["email_opt_out"].sum()),
    "contact_deleted": lambda f: int(f.contacts["is_deleted"].sum()),
    "unicode_name": lambda f: int(
        (~f.contacts["first_name"].map(str.isascii) | ~f.contacts["last_name"].map(str.isascii)).sum()
    ),
    "apostrophe_name": lambda f: int(f.contacts["last_name"].str.contains("'", regex=False).sum()),
    "control_chars_name": lambda f: int(
        (f.contacts["first_name"].str.contains(CONTROL) | f.contacts["last_name"].str.contains(CONTROL)).sum()
    ),
    "duplicate_email": lambda f: int(
        f.contacts.drop_duplicates("contact_id")
        .assign(e=lambda c: _normalized(c["email"]))
        .query("e == e and e != ''")
        .duplicated("e")
        .sum()
    ),
    "shared_contact_same_day": lambda f: int((_shared_contact_gaps(f) == 0).sum()),
    "shared_contact_other_day": lambda f: int((_shared_contact_gaps(f) > 0).sum()),
    "contact_duplicate_row": lambda f: int(f.contacts["contact_id"].duplicated().sum()),
    "opportunity_duplicate_row": lambda f: int(f.opportunities["opportunity_id"].duplicated().sum()),
    "opportunity_deleted": lambda f: int(f.opportunities["is_deleted"].sum()),
    "no_contact_role": lambda f: int((~_lost(f)["opportunity_id"].isin(f.opportunity_contact_roles["opportunity_id"])).sum()),
    "several_roles": lambda f: int((_role_counts(f)["roles"] > 1).sum()),
    "no_primary_role": lambda f: int((_role_counts(f)["primaries"] == 0).sum()),
    "several_primary_roles": lambda f: int((_role_counts(f)["primaries"] > 1).sum()),
    "amount_null": lambda f: int(f.opportunities["amount"].isna().sum()),
    "amount_zero": lambda f: int((f.opportunities["amount"] == 0).sum()),
    "amount_small": lambda f: int(f.opportunities["amount"].between(0.01, 99.99).sum()),
    "loss_reason_null": lambda f: int(_lost(f)["loss_reason"].isna().sum()),
    "competitor_null_on_lost": lambda f: int(_lost(f)["primary_competitor"].isna().sum()),
    "stage_changed_at_null": lambda f: int(_lost(f)["stage_changed_at"].isna().sum()),
    "stage_changed_other_day": lambda f: int(
        (_lost(f)["stage_changed_at"].dt.date != _lost(f)["close_date"]).fillna(False).sum()
    ),
    "long_text": lambda f: int((f.opportunities["loss_reason_detail"].str.len() >= 50_000).sum()),
    "control_chars_text": lambda f: int(f.opportunities["loss_reason_detail"].str.contains(CONTROL).sum()),
    "emoji_text": lambda f: int(
        f.opportunities["loss_reason_detail"].dropna().map(lambda t: any(ord(c) > 0xFFFF for c in t)).sum()
    ),
    "competitor_dirty": lambda f: int(
        (f.opportunities["primary_competitor"].notna() & ~f.opportunities["primary_competitor"].isin(CLEAN_COMPETITORS)).sum()
    ),
    "hindsight_deal_id": lambda f: int(f.opportunities["hindsight_deal_id"].str.fullmatch(r"deal_[0-9a-f]{16}").sum()),
    "hindsight_deal_id_stale": lambda f: int(
        f.opportunities["hindsight_deal_id"].str.fullmatch(r"deal_stale_[0-9a-f]{16}").sum()
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(DETECTORS))
def test_every_kind_is_in_the_small_run(small: CrmFrames, kind: str) -> None:
    assert DETECTORS[kind](small) >= 1, kind


@pytest.mark.parametrize("kind", [k for k in DETECTORS if k != "long_text"])
def test_every_kind_is_in_the_bulk_too(medium: CrmFrames, kind: str) -> None:
    """At 27k deals the rates alone produce more of each kind than the scenarios hold
    (except 50k-character notes: a few per million deals)."""
    scenario_rows = int((medium.dirt["scenario"] & (medium.dirt["kind"] == kind)).sum())
    assert DETECTORS[kind](medium) > scenario_rows, kind


def test_contact_on_deals_weeks_apart(medium: CrmFrames) -> None:
    assert _max_shared_gap(medium) >= 21


def test_zero_rates_without_scenarios_give_clean_data() -> None:
    zero = DirtRates(**dict.fromkeys(DirtRates.__dataclass_fields__, 0.0))
    clean = generate_crm(SMALL.replace(dirt=zero, include_scenarios=False, deals_per_day=300))
    assert clean.dirt.empty
    always_there = {
        "unicode_name", "apostrophe_name", "several_roles", "competitor_null_on_lost",
        "shared_contact_same_day", "shared_contact_other_day",
    }  # fmt: skip
    for kind, detect in DETECTORS.items():
        if kind not in always_there:
            assert detect(clean) == 0, kind


def test_dirt_log_matches_the_data(medium: CrmFrames) -> None:
    log = medium.dirt
    assert list(log.columns) == ["kind", "opportunity_id", "contact_id", "scenario"]
    contacts = medium.contacts.drop_duplicates("contact_id").set_index("contact_id")
    deals = medium.opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")

    def logged(kind: str, key: str) -> pd.Index:
        return pd.Index(log.loc[(log["kind"] == kind) & ~log["scenario"], key])

    assert contacts.loc[logged("email_null", "contact_id"), "email"].isna().all()
    assert (contacts.loc[logged("email_empty", "contact_id"), "email"] == "").all()
    assert not _is_valid(contacts.loc[logged("email_malformed", "contact_id"), "email"]).any()
    unnormalized = contacts.loc[logged("email_unnormalized", "contact_id"), "email"]
    assert _is_valid(unnormalized).all() and (unnormalized != _normalized(unnormalized)).all()
    assert contacts.loc[logged("email_opt_out", "contact_id"), "email_opt_out"].all()
    assert deals.loc[logged("opportunity_deleted", "opportunity_id"), "is_deleted"].all()
    assert deals.loc[logged("amount_null", "opportunity_id"), "amount"].isna().all()
    stale = deals.loc[logged("hindsight_deal_id_stale", "opportunity_id"), "hindsight_deal_id"]
    assert stale.str.startswith("deal_stale_").all()
    assert set(
        deals.index[deals["hindsight_deal_id"].str.startswith("deal_stale_").fillna(False)]
    ) == set(log.loc[log["kind"] == "hindsight_deal_id_stale", "opportunity_id"])


# --- the scenario rows -------------------------------------------------------------------


def _scenarios(f: CrmFrames) -> pd.DataFrame:
    return f.dirt[f.dirt["scenario"]].reset_index(drop=True)


def test_every_scenario_is_logged_once_per_deal(small: CrmFrames) -> None:
    rows = _scenarios(small)
    assert len(rows) == sum(s.deals for s in SCENARIOS)
    assert rows["opportunity_id"].is_unique
    # The scenario deals are the first opportunities.
    assert list(rows["opportunity_id"]) == list(
        small.opportunities["opportunity_id"].iloc[: len(rows)]
    )


def test_scenario_deals_are_closed_lost_on_the_scenario_day(small: CrmFrames) -> None:
    rows = _scenarios(small)
    deals = small.opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    deal = deals.loc[rows["opportunity_id"]]
    assert (deal["stage_name"] == "Closed Lost").all()
    scenario_day = SMALL.start_date + timedelta(days=1)
    kinds = rows["kind"].to_numpy()
    closed_lost_day = _closed_lost_day(deal).to_numpy()
    for kind, day, close in zip(kinds, closed_lost_day, deal["close_date"], strict=True):
        if kind == "closed_lost_date_null":
            assert pd.isna(day) and pd.isna(close)
        elif kind == "stage_changed_other_day":
            assert abs((day - scenario_day).days) == 1
        elif kind == "shared_contact_weeks_apart":
            assert close in (scenario_day, SMALL.end_date)
        else:
            assert day == scenario_day, kind


def test_scenario_expected_contact_is_the_first_primary_by_contact_id(small: CrmFrames) -> None:
    roles = small.opportunity_contact_roles
    for row in _scenarios(small).itertuples():
        deal_roles = roles[roles["opportunity_id"] == row.opportunity_id]
        primaries = deal_roles[deal_roles["is_primary"]]
        if row.kind == "no_contact_role":
            assert deal_roles.empty
        elif row.kind == "no_primary_role":
            assert len(deal_roles) == 2 and primaries.empty
        else:
            assert primaries["contact_id"].min() == row.contact_id, row.kind
        if row.kind == "several_primary_roles":
            assert len(primaries) == 2
            assert primaries["contact_id"].iloc[0] != row.contact_id  # table order differs
        elif row.kind == "several_roles":
            assert len(deal_roles) == 3 and len(primaries) == 1
        elif row.kind not in ("no_primary_role",):
            assert len(primaries) <= 1


def test_scenarios_are_clean_except_for_their_kind(small: CrmFrames) -> None:
    rows = _scenarios(small)
    contacts = small.contacts.drop_duplicates("contact_id").set_index("contact_id")
    deals = small.opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    email_kinds = {
        "email_null",
        "email_empty",
        "email_malformed",
        "internal_domain",
        "email_unnormalized",
    }
    for row in rows.itertuples():
        deal = deals.loc[row.opportunity_id]
        if not row.kind.startswith("amount_"):
            assert deal["amount"] >= 5_000, row.kind
        if not row.kind.startswith("hindsight_deal_id"):
            assert pd.isna(deal["hindsight_deal_id"]), row.kind
        if row.kind not in ("loss_reason_null",):
            assert pd.notna(deal["loss_reason"]), row.kind
        if row.kind != "opportunity_deleted":
            assert not deal["is_deleted"]
        if row.kind != "competitor_dirty" and pd.notna(deal["primary_competitor"]):
            assert deal["primary_competitor"] in CLEAN_COMPETITORS
        if pd.isna(row.contact_id):
            continue
        contact = contacts.loc[row.contact_id]
        if row.kind not in email_kinds:
            assert contact["email"] == _normalized(pd.Series([contact["email"]]))[0], row.kind
            assert VALID_EMAIL.fullmatch(contact["email"]), row.kind
        assert contact["email_opt_out"] == (row.kind == "email_opt_out")
        assert contact["is_deleted"] == (row.kind == "contact_deleted")


def test_specific_scenario_values(small: CrmFrames) -> None:
    rows = _scenarios(small)
    contacts = small.contacts.drop_duplicates("contact_id").set_index("contact_id")
    deals = small.opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")

    def contact_values(kind: str, column: str) -> list[object]:
        return list(contacts.loc[rows.loc[rows["kind"] == kind, "contact_id"], column])

    def deal_values(kind: str, column: str) -> list[object]:
        return list(deals.loc[rows.loc[rows["kind"] == kind, "opportunity_id"], column])

    assert contact_values("email_null", "email") == [pd.NA]
    assert contact_values("email_empty", "email") == [""]
    malformed = contact_values("email_malformed", "email")
    assert malformed[0].endswith("@") and "@" not in malformed[1] and " " in malformed[2]
    assert "." not in malformed[3].split("@")[1]
    padded, upper = contact_values("email_unnormalized", "email")
    assert padded.startswith("  ") and padded.endswith(" ") and upper == upper.upper()
    lower, mixed = contact_values("internal_domain", "email")
    assert lower.endswith("@acme-software.com") and mixed.endswith("@ACME-SOFTWARE.COM")
    names = list(
        zip(
            contact_values("unicode_name", "first_name"),
            contact_values("unicode_name", "last_name"),
            strict=True,
        )
    )
    assert names == [
        ("José", "Müller"),
        ("Zoë", "Ångström"),
        ("雷", "李"),
        ("Łukasz", "Kowalczyk"),
        ("Siobhán", "O'Brien"),
    ]
    assert contact_values("unicode_name", "email")[2].startswith("lei.li@")
    assert "\x00" in contact_values("control_chars_name", "first_name")[0]
    first, second = rows.loc[rows["kind"] == "duplicate_email", "contact_id"]
    assert first != second and contacts.loc[first, "email"] == contacts.loc[second, "email"]
    for kind in ("shared_contact_same_day", "shared_contact_weeks_apart"):
        assert rows.loc[rows["kind"] == kind, "contact_id"].nunique() == 1
    assert pd.isna(deal_values("amount_null", "amount")[0])
    assert deal_values("amount_zero", "amount") == [0.0] and deal_values(
        "amount_small", "amount"
    ) == [1.0]
    assert deal_values("loss_reason_null", "primary_competitor") == [pd.NA]
    assert deal_values("stage_changed_at_null", "stage_changed_at")[0] is pd.NaT
    boundary = deal_values("stage_changed_at_day_boundary", "stage_changed_at")
    assert boundary[0].time().isoformat() == "00:00:00"
    assert boundary[1].time().isoformat() == "23:59:59.999999"
    assert [len(t) for t in deal_values("long_text", "loss_reason_detail")] >= [60_000, 200_000]
    assert "\x00" in deal_values("control_chars_text", "loss_reason_detail")[0]
    assert deal_values("competitor_dirty", "primary_competitor") == ["Gong.io", " Klue", "CLARI"]
    assert deal_values("hindsight_deal_id", "hindsight_deal_id")[0].startswith("deal_")
    assert deal_values("hindsight_deal_id_stale", "hindsight_deal_id")[0].startswith("deal_stale_")
    assert (
        small.contacts["contact_id"].value_counts()[
            rows.loc[rows["kind"] == "contact_duplicate_row", "contact_id"].iloc[0]
        ]
        == 2
    )
    assert (
        small.opportunities["opportunity_id"].value_counts()[
            rows.loc[rows["kind"] == "opportunity_duplicate_row", "opportunity_id"].iloc[0]
        ]
        == 2
    )


def test_single_day_range_still_has_scenarios() -> None:
    one_day = SMALL.replace(
        start_date=date(2024, 5, 1), end_date=date(2024, 5, 1), deals_per_day=100
    )
    frames = generate_crm(one_day)
    assert set(_scenarios(frames)["kind"]) == {s.kind for s in SCENARIOS}
    assert np.all(
        frames.opportunities.loc[frames.opportunities["is_closed"], "close_date"]
        == date(2024, 5, 1)
    )
