"""The dbt candidates model, built through Dagster on a generated CRM, against a pandas oracle."""

from __future__ import annotations

import pandas as pd
import pytest

from hindsight_pipeline.demo_data import CrmFrames

INTERNAL_DOMAINS = ("acme-software.com",)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].fillna(False).astype(bool)


def live_opportunities(frames: CrmFrames) -> pd.DataFrame:
    """One row per opportunity; a key with any deleted copy is deleted (conservative)."""
    opps = frames.opportunities
    deleted = set(opps.loc[_flag(opps, "is_deleted"), "opportunity_id"])
    opps = opps.drop_duplicates("opportunity_id")
    return opps[~opps["opportunity_id"].isin(deleted)]


def live_contacts(frames: CrmFrames) -> pd.DataFrame:
    """One row per contact; any deleted copy means deleted, any opted-out copy opted out."""
    contacts = frames.contacts
    deleted = set(contacts.loc[_flag(contacts, "is_deleted"), "contact_id"])
    opted_out = set(contacts.loc[_flag(contacts, "email_opt_out"), "contact_id"])
    contacts = contacts.drop_duplicates("contact_id").copy()
    contacts["email_opt_out"] = contacts["contact_id"].isin(opted_out)
    return contacts[~contacts["contact_id"].isin(deleted)]


def closed_lost(frames: CrmFrames) -> pd.DataFrame:
    """Live closed-lost deals with their closed-lost date; those without one are left out."""
    opps = live_opportunities(frames)
    lost = opps[_flag(opps, "is_closed") & ~_flag(opps, "is_won")].copy()
    stage_day = pd.to_datetime(lost["stage_changed_at"]).dt.date
    close_day = pd.Series(
        [None if pd.isna(day) else day for day in lost["close_date"]],
        index=lost.index,
        dtype=object,
    )
    lost["closed_lost_date"] = stage_day.where(lost["stage_changed_at"].notna(), close_day)
    return lost[lost["closed_lost_date"].notna()]


def expected_candidates(
    frames: CrmFrames,
    *,
    internal_domains: tuple[str, ...] = INTERNAL_DOMAINS,
    min_deal_amount: float = 0,
    interviewed_roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """DESIGN.md's rules, written independently of the SQL, for the given dbt vars."""
    lost = closed_lost(frames)
    contacts = live_contacts(frames)
    roles = frames.opportunity_contact_roles
    primary = roles[_flag(roles, "is_primary")]
    if interviewed_roles:
        primary = primary[primary["role"].isin(interviewed_roles)]
    primary = primary[primary["contact_id"].isin(contacts["contact_id"])]
    primary = primary.sort_values("contact_id").drop_duplicates("opportunity_id")
    primary = primary.rename(columns={"role": "contact_role"})[
        ["opportunity_id", "contact_id", "contact_role"]
    ]
    rows = lost.merge(primary, on="opportunity_id").merge(
        contacts, on="contact_id", suffixes=("", "_c")
    )
    domain = rows["email"].fillna("").str.split("@").str[1].fillna("").str.strip().str.lower()
    accounts = frames.accounts.drop_duplicates("account_id")
    rows = rows.merge(accounts[["account_id", "segment"]], on="account_id", how="left")
    reason = pd.Series(None, index=rows.index, dtype=object)
    amount = rows["amount"].astype("Float64")
    reason[(amount < min_deal_amount).fillna(False).astype(bool)] = "below_minimum_amount"
    reason[domain.isin({d.lower() for d in internal_domains})] = "internal_domain"
    reason[rows["email_opt_out"].astype(bool)] = "opted_out"
    rows["exclusion_reason"] = reason
    return rows[
        [
            "opportunity_id",
            "contact_id",
            "closed_lost_date",
            "exclusion_reason",
            "contact_role",
            "segment",
            "amount",
        ]
    ]


KEY_COLUMNS = ["opportunity_id", "contact_id", "closed_lost_date", "exclusion_reason"]


def as_set(frame: pd.DataFrame) -> set[tuple]:
    return {
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame.itertuples(index=False, name=None)
    }


def comparable(candidates: pd.DataFrame) -> pd.DataFrame:
    got = candidates[KEY_COLUMNS].copy()
    got["closed_lost_date"] = pd.to_datetime(got["closed_lost_date"]).dt.date
    got["exclusion_reason"] = (
        got["exclusion_reason"].astype(object).where(got["exclusion_reason"].notna(), None)
    )
    return got


@pytest.fixture(scope="module")
def candidates(built_warehouse: tuple) -> pd.DataFrame:
    warehouse, _ = built_warehouse
    return warehouse.query_df("select * from hindsight_prep.closed_lost_interview_candidates")


def _scenario(frames: CrmFrames, kind: str) -> pd.DataFrame:
    dirt = frames.dirt
    found = dirt[(dirt["kind"] == kind) & dirt["scenario"]]
    assert not found.empty, f"the generator made no {kind} scenario"
    return found


def test_candidates_match_the_rules_row_for_row(
    built_warehouse: tuple, candidates: pd.DataFrame
) -> None:
    _, frames = built_warehouse
    expected = expected_candidates(frames)[KEY_COLUMNS]
    assert len(expected) > 50  # a real partition's worth, not an empty table
    assert as_set(comparable(candidates)) == as_set(expected)
    assert candidates["opportunity_id"].is_unique


def test_only_live_closed_lost_deals_appear(
    built_warehouse: tuple, candidates: pd.DataFrame
) -> None:
    _, frames = built_warehouse
    opps = frames.opportunities
    present = set(candidates["opportunity_id"])
    # (any copy deleted = deleted: the conflicting_duplicate_row scenarios have a live copy too)
    won = set(opps.loc[opps["is_won"].fillna(False).astype(bool), "opportunity_id"])
    open_ = set(opps.loc[~opps["is_closed"].fillna(False).astype(bool), "opportunity_id"])
    deleted = set(opps.loc[opps["is_deleted"].fillna(False).astype(bool), "opportunity_id"])
    deleted_contacts = set(
        frames.contacts.loc[frames.contacts["is_deleted"].fillna(False).astype(bool), "contact_id"]
    )
    assert won and open_ and deleted and deleted_contacts
    assert not present & won
    assert not present & open_
    assert not present & deleted
    assert not set(candidates["contact_id"]) & deleted_contacts


@pytest.mark.parametrize("kind", ["no_contact_role", "no_primary_role", "contact_deleted"])
def test_deals_without_a_live_primary_contact_get_no_row(
    built_warehouse: tuple, candidates: pd.DataFrame, kind: str
) -> None:
    warehouse, frames = built_warehouse
    deals = set(_scenario(frames, kind)["opportunity_id"])
    assert not deals & set(candidates["opportunity_id"])
    counted = warehouse.query_df(
        "select opportunity_id from hindsight_prep.closed_lost_deals where primary_contact_id is null"
    )
    assert deals <= set(counted["opportunity_id"])


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("email_opt_out", "opted_out"),
        ("internal_domain", "internal_domain"),
        ("email_null", None),  # emails are judged in Python at send time
        ("email_malformed", None),
        ("unicode_name", None),
        ("long_text", None),
    ],
)
def test_dirty_rows_get_the_right_exclusion_reason(
    built_warehouse: tuple, candidates: pd.DataFrame, kind: str, reason: str | None
) -> None:
    _, frames = built_warehouse
    deals = _scenario(frames, kind)["opportunity_id"]
    rows = candidates.set_index("opportunity_id").loc[list(deals)]
    reasons = rows["exclusion_reason"].astype(object).where(rows["exclusion_reason"].notna(), None)
    assert list(reasons) == [reason] * len(deals)


def test_several_primaries_pick_the_first_contact_id(
    built_warehouse: tuple, candidates: pd.DataFrame
) -> None:
    _, frames = built_warehouse
    scenario = _scenario(frames, "several_primary_roles").iloc[0]
    row = candidates.set_index("opportunity_id").loc[scenario["opportunity_id"]]
    assert row["contact_id"] == scenario["contact_id"]


@pytest.mark.parametrize(
    "kind", ["stage_changed_at_null", "stage_changed_other_day", "stage_changed_at_day_boundary"]
)
def test_closed_lost_date_is_stage_change_day_else_close_date(
    built_warehouse: tuple, candidates: pd.DataFrame, kind: str
) -> None:
    _, frames = built_warehouse
    opps = frames.opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    for deal in _scenario(frames, kind)["opportunity_id"]:
        opp = opps.loc[deal]
        want = (
            pd.Timestamp(opp["close_date"]).date()
            if pd.isna(opp["stage_changed_at"])
            else pd.Timestamp(opp["stage_changed_at"]).date()
        )
        got = pd.Timestamp(
            candidates.set_index("opportunity_id").loc[deal, "closed_lost_date"]
        ).date()
        assert got == want
        if kind == "stage_changed_other_day":
            assert want != pd.Timestamp(opp["close_date"]).date()


def test_duplicate_sync_rows_collapse_to_one(
    built_warehouse: tuple, candidates: pd.DataFrame
) -> None:
    _, frames = built_warehouse
    for kind in ("opportunity_duplicate_row", "contact_duplicate_row"):
        deal = _scenario(frames, kind)["opportunity_id"].iloc[0]
        assert (candidates["opportunity_id"] == deal).sum() == 1
    assert frames.opportunities["opportunity_id"].duplicated().any()  # the dirt is really there
