"""Keys, references and the date rules the pipeline's partitioning relies on."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest

from hindsight_pipeline.demo_data import CrmFrames, DemoDataConfig

from .conftest import MEDIUM, SMALL


@pytest.fixture(params=["small", "medium"])
def frames(request: pytest.FixtureRequest) -> CrmFrames:
    return request.getfixturevalue(request.param)


def _config(frames: CrmFrames, small: CrmFrames) -> DemoDataConfig:
    return SMALL if frames is small else MEDIUM


def conflicting_keys(frames: CrmFrames, key: str) -> set[str]:
    """Keys of the conflicting_duplicate_row scenarios whose copies disagree, in one table:
    the opted-out and deleted contact copies, the deleted deal copy."""
    log = frames.dirt[
        frames.dirt["scenario"] & (frames.dirt["kind"] == "conflicting_duplicate_row")
    ]
    assert len(log) == 3
    if key == "contact_id":
        return set(log["contact_id"].iloc[:2])
    return set(log["opportunity_id"].iloc[2:])


@pytest.mark.parametrize(
    ("table", "key"), [("contacts", "contact_id"), ("opportunities", "opportunity_id")]
)
def test_keys_unique_except_sync_duplicates_which_are_exact_copies(
    frames: CrmFrames, table: str, key: str
) -> None:
    frame = frames.tables()[table]
    repeated = frame[frame[key].duplicated(keep=False)]
    assert len(repeated) > 0  # the sync dirt is there
    # Every repeated key is an exact copy, except the few scenario rows whose copies disagree
    # on purpose (conflicting_duplicate_row): dropping exact duplicates makes the key unique.
    conflicting = conflicting_keys(frames, key)
    deduplicated = frame.drop_duplicates()
    assert deduplicated[key].is_unique is False
    assert set(deduplicated.loc[deduplicated[key].duplicated(keep=False), key]) == conflicting
    assert deduplicated[~deduplicated[key].isin(conflicting)][key].is_unique
    # The originals come first; copies are appended at the end.
    unique_rows = frame[key].nunique()
    assert not frame[key].iloc[:unique_rows].duplicated().any()
    logged = set(
        frames.dirt.loc[
            frames.dirt["kind"]
            == f"{table[:-1] if table == 'contacts' else 'opportunity'}_duplicate_row",
            key,
        ]
    )
    assert logged | conflicting == set(repeated[key])


def test_conflicting_copies_disagree_on_one_flag_and_come_last(frames: CrmFrames) -> None:
    contacts = frames.contacts
    opted_out, deleted = sorted(conflicting_keys(frames, "contact_id"))
    (deal,) = conflicting_keys(frames, "opportunity_id")
    first, second = (contacts[contacts["contact_id"] == opted_out].iloc[i] for i in (0, 1))
    assert not first["email_opt_out"] and second["email_opt_out"]
    assert second["email"] == first["email"] + " "  # sorts after the clean copy
    copies = contacts[contacts["contact_id"] == deleted]
    assert copies["is_deleted"].tolist() == [False, True]
    deals = frames.opportunities[frames.opportunities["opportunity_id"] == deal]
    assert deals["is_deleted"].tolist() == [False, True]
    assert contacts.index[contacts["contact_id"] == deleted][-1] == len(contacts) - 1
    assert deals.index[-1] == len(frames.opportunities) - 1


def test_accounts_unique(frames: CrmFrames) -> None:
    assert frames.accounts["account_id"].is_unique
    assert frames.accounts["account_name"].is_unique


def test_references_resolve(frames: CrmFrames) -> None:
    accounts = set(frames.accounts["account_id"])
    assert set(frames.contacts["account_id"]) <= accounts
    assert set(frames.opportunities["account_id"]) <= accounts
    roles = frames.opportunity_contact_roles
    assert set(roles["opportunity_id"]) <= set(frames.opportunities["opportunity_id"])
    assert set(roles["contact_id"]) <= set(frames.contacts["contact_id"])
    # A role's contact works at the deal's account.
    contact_account = frames.contacts.drop_duplicates("contact_id").set_index("contact_id")[
        "account_id"
    ]
    deal_account = frames.opportunities.drop_duplicates("opportunity_id").set_index(
        "opportunity_id"
    )["account_id"]
    assert (
        contact_account.loc[roles["contact_id"]].to_numpy()
        == deal_account.loc[roles["opportunity_id"]].to_numpy()
    ).all()
    assert not roles.duplicated(["opportunity_id", "contact_id"]).any()


def test_ids_are_salesforce_like_and_sort_in_generation_order(frames: CrmFrames) -> None:
    for frame, key, prefix in (
        (frames.accounts, "account_id", "001"),
        (frames.contacts, "contact_id", "003"),
        (frames.opportunities, "opportunity_id", "006"),
    ):
        ids = frame[key].drop_duplicates()
        assert ids.str.fullmatch(prefix + r"[0-9A-Z]{15}").all()
        assert list(ids) == sorted(ids)


def test_stage_flags_agree(frames: CrmFrames) -> None:
    o = frames.opportunities
    lost, won = o["stage_name"] == "Closed Lost", o["stage_name"] == "Closed Won"
    assert (o["is_closed"] == (lost | won)).all()
    assert (o["is_won"] == won).all()
    assert set(o.loc[~o["is_closed"], "stage_name"]) <= {
        "Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation",
    }  # fmt: skip
    share = o.drop_duplicates("opportunity_id")["stage_name"].value_counts(normalize=True)
    if len(o) > 10_000:
        assert share["Closed Lost"] == pytest.approx(0.35, abs=0.02)
        assert share["Closed Won"] == pytest.approx(0.25, abs=0.02)
    assert o.loc[~lost, "loss_reason"].isna().all()
    assert o.loc[~lost, "loss_reason_detail"].isna().all()


def test_dates(frames: CrmFrames, small: CrmFrames) -> None:
    config = _config(frames, small)
    o = frames.opportunities
    closed = o[o["is_closed"]]
    close = closed["close_date"]
    assert close.min() >= config.start_date and close.max() <= config.end_date
    assert (o.loc[~o["is_closed"], "close_date"] > config.end_date).all()
    assert (o["created_date"] <= o["close_date"]).all()
    # Closed deals entered their stage on the close date, or (a few) one day off.
    stamped = closed[closed["stage_changed_at"].notna()]
    offset = pd.Series(
        [
            (s.date() - c).days
            for s, c in zip(stamped["stage_changed_at"], stamped["close_date"], strict=True)
        ]
    )
    assert set(offset) == {-1, 0, 1} or set(offset) == {0, -1} or set(offset) == {0, 1}
    assert (offset == 0).mean() > 0.9
    # Open deals' stage changes are not in the future.
    open_stage = o.loc[~o["is_closed"], "stage_changed_at"]
    assert (open_stage.dt.date <= config.end_date).all()
    # The closed-lost partitions cover the range (a deal or more every day).
    lost = o[(o["stage_name"] == "Closed Lost")]
    day = lost["stage_changed_at"].dt.date.where(
        lost["stage_changed_at"].notna(), lost["close_date"]
    )
    days = {config.start_date + timedelta(days=i) for i in range(config.day_count)}
    assert days <= set(day)


def test_time_of_day_spread_over_24h(medium: CrmFrames) -> None:
    hours = medium.opportunities["stage_changed_at"].dropna().dt.hour
    assert set(hours) == set(range(24))


def test_realistic_values(medium: CrmFrames) -> None:
    contacts, accounts, o = medium.contacts, medium.accounts, medium.opportunities
    clean_email = re.compile(r"[a-z0-9]+\.[a-z0-9]+[0-9]*@[a-z0-9]+(\.[a-z]+)+")
    assert contacts["email"].dropna().str.fullmatch(clean_email.pattern).mean() > 0.9
    by_segment = accounts.groupby("segment")["employee_count"].agg(["min", "max"])
    assert by_segment.loc["SMB", "max"] < 200 <= by_segment.loc["Mid-Market", "min"]
    assert by_segment.loc["Mid-Market", "max"] < 2000 <= by_segment.loc["Enterprise", "min"]
    amounts = o.merge(accounts[["account_id", "segment"]]).groupby("segment")["amount"].median()
    assert amounts["SMB"] < amounts["Mid-Market"] < amounts["Enterprise"]
    assert set(o["region"]) == {"NA", "EMEA", "APAC", "LATAM"}
    assert set(o["opportunity_type"]) == {"New Business", "Expansion", "Renewal"}
    lost = o[o["stage_name"] == "Closed Lost"]
    # Competitor losses always name one; "No Decision" rarely does.
    named = lost.groupby("loss_reason")["primary_competitor"].apply(lambda s: s.notna().mean())
    assert named["Competitor"] > 0.99 and named["No Decision"] < 0.2
    assert o["amount"].dropna().round(2).eq(o["amount"].dropna()).all()
