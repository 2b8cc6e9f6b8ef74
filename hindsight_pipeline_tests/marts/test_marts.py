"""The marts, built by the real job after real sends, against the results table and against
what the local Hindsight server received."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from hindsight_pipeline.dbt.assets import hindsight_dbt_marts
from hindsight_pipeline.interview_requests.assets import INTERVIEW_REQUESTS_KEY
from hindsight_pipeline_tests.marts.conftest import DAYS, UNKNOWN_SEQUENCE_ID, MartsRun

MART_KEYS = {
    dg.AssetKey(["hindsight_marts", name])
    for name in (
        "fct_interview_outcomes",
        "interview_funnel_daily",
        "interview_funnel_by_dimension_daily",
        "interview_outcome_reasons_daily",
    )
}
FUNNEL_COUNTS = [
    "closed_lost_deals", "deals_without_primary_contact", "candidates", "not_yet_processed",
    "requests_recorded", "skipped", "eligible", "sending", "attempted", "accepted", "sent",
    "created", "failed", "pending_retry", "unconfirmed",
]  # fmt: skip


@pytest.fixture(scope="module")
def funnel(marts_run: MartsRun) -> pd.DataFrame:
    frame = marts_run.query("select * from hindsight_marts.interview_funnel_daily")
    frame["closed_lost_date"] = pd.to_datetime(frame["closed_lost_date"]).dt.date
    return frame.set_index("closed_lost_date")


@pytest.fixture(scope="module")
def by_status(marts_run: MartsRun) -> pd.DataFrame:
    """Counts of the results table itself, by day and status."""
    frame = _counts_by_day(marts_run, "hindsight.interview_requests", "status")
    return frame.pivot(index="closed_lost_date", columns="status", values="n").fillna(0).astype(int)


def _counts_by_day(marts_run: MartsRun, table: str, *by: str, where: str = "true") -> pd.DataFrame:
    """The rows of ``table`` that meet ``where``, counted (n) by closed_lost_date and ``by``."""
    keys = ", ".join(("closed_lost_date", *by))
    frame = marts_run.query(
        f"select {keys}, count(*) as n from {table} where {where} group by {keys}"
    )
    frame["closed_lost_date"] = pd.to_datetime(frame["closed_lost_date"]).dt.date
    return frame


def _assert_funnel_column(funnel: pd.DataFrame, counts: pd.DataFrame, column: str) -> None:
    """Each count n of ``counts`` is the funnel's ``column`` on its day; ``column`` may name
    fields of the row ("skipped_{error_code}")."""
    for row in counts.itertuples(index=False):
        assert funnel.loc[row.closed_lost_date, column.format(**row._asdict())] == row.n, row


def _steps_in_order(result: dg.ExecuteInJobResult) -> list[str]:
    return [
        e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS" and e.step_key
    ]


def test_the_daily_job_builds_the_marts_after_the_send(marts_run: MartsRun) -> None:
    for day in (DAYS[0], DAYS[2]):
        result = marts_run.runs[day]
        assert result.success
        steps = _steps_in_order(result)
        assert steps.index("hindsight_dbt_models") < steps.index("hindsight__interview_requests")
        assert steps.index("hindsight__interview_requests") < steps.index("hindsight_dbt_marts")
        materialized = {event.asset_key for event in result.get_asset_materialization_events()}
        assert materialized >= MART_KEYS
        assert INTERVIEW_REQUESTS_KEY in materialized
    # The lineage: the marts read the send asset's table, through the dbt source.
    deps = hindsight_dbt_marts.asset_deps[
        dg.AssetKey(["hindsight_marts", "fct_interview_outcomes"])
    ]
    assert INTERVIEW_REQUESTS_KEY in deps
    # Day 2 ran the send asset alone: no dbt step.
    assert _steps_in_order(marts_run.runs[DAYS[1]])[0] == "hindsight__interview_requests"


def test_every_day_has_each_kind_of_outcome_it_was_set_up_for(by_status: pd.DataFrame) -> None:
    assert list(by_status.index) == DAYS
    assert by_status.loc[DAYS[0], "sent"] > 5
    assert by_status.loc[DAYS[1], "sent"] > 20
    assert by_status.loc[DAYS[1], "unconfirmed"] == 1
    assert by_status.loc[DAYS[1], "pending_retry"] == 1
    assert by_status.loc[DAYS[2], "failed"] > 5 and by_status.loc[DAYS[2], "sent"] == 0
    assert by_status["skipped"].sum() > 5


def test_funnel_counts_per_day_equal_the_results_table_by_status(
    funnel: pd.DataFrame, by_status: pd.DataFrame
) -> None:
    assert sorted(funnel.index) == DAYS
    for day in DAYS:
        row, counts = funnel.loc[day], by_status.loc[day]
        for status in (
            "sent",
            "created",
            "failed",
            "pending_retry",
            "unconfirmed",
            "skipped",
            "sending",
        ):
            assert row[status] == counts.get(status, 0), (day, status)
        assert row["requests_recorded"] == counts.sum()
        assert row["accepted"] == counts.get("sent", 0) + counts.get("created", 0)
        assert row["not_yet_processed"] == 0  # every day ran
        assert row["candidates"] == row["skipped"] + row["eligible"]
        assert row["eligible"] == row["sending"] + row["attempted"]
        assert (
            row["attempted"]
            == row["accepted"] + row["failed"] + row["pending_retry"] + row["unconfirmed"]
        )


def test_funnel_skips_by_reason_equal_the_results_table(
    marts_run: MartsRun, funnel: pd.DataFrame
) -> None:
    skipped = _counts_by_day(
        marts_run, "hindsight.interview_requests", "error_code", where="status = 'skipped'"
    )
    assert len(skipped) >= 5
    _assert_funnel_column(funnel, skipped, "skipped_{error_code}")
    reason_columns = [c for c in funnel.columns if c.startswith("skipped_")]
    assert (funnel[reason_columns].sum(axis=1) == funnel["skipped"]).all()
    assert funnel["skipped_other"].sum() == 0


def test_deals_without_a_primary_contact_are_counted(
    marts_run: MartsRun, funnel: pd.DataFrame
) -> None:
    expected = _counts_by_day(
        marts_run, "hindsight_prep.closed_lost_deals", where="primary_contact_id is null"
    )
    assert expected["n"].sum() >= 3  # the generator's no-contact scenarios
    _assert_funnel_column(funnel, expected, "deals_without_primary_contact")
    deals = marts_run.scalar("select count(*) from hindsight_prep.closed_lost_deals")
    assert funnel["closed_lost_deals"].sum() == deals


def test_accepted_requests_equal_what_the_server_accepted(
    marts_run: MartsRun, funnel: pd.DataFrame
) -> None:
    posts = marts_run.env.posts()
    accepted_by_server = [p for p in posts if p["status"] == 201]
    assert len(accepted_by_server) > 20
    assert funnel["accepted"].sum() == len(accepted_by_server)
    # Every interview the server created is a sent row, or the one answered 504 (unconfirmed).
    interviews = marts_run.env.server.interviews()
    assert len(interviews) == funnel["accepted"].sum() + funnel["unconfirmed"].sum()
    # Day 3's requests all reached the server and were refused for the unknown sequence.
    refused = [p for p in posts if p["body"].get("sequence_id") == UNKNOWN_SEQUENCE_ID]
    assert {p["status"] for p in refused} == {400}
    assert len(refused) == funnel.loc[DAYS[2], "failed"]


def test_faulted_contacts_have_the_outcome_of_their_fault(marts_run: MartsRun) -> None:
    outcomes = marts_run.query(
        "select r.contact_email, f.outcome, f.reason from hindsight_marts.fct_interview_outcomes f "
        "join hindsight.interview_requests r on r.deal_id = f.deal_id and r.contact_id = f.contact_id "
        "where r.contact_email in (?, ?)",
        list(marts_run.faulted),
    )
    got = {row.contact_email: (row.outcome, row.reason) for row in outcomes.itertuples()}
    want = {"504": ("unconfirmed", "http_504"), "500": ("pending_retry", "internal_error")}
    assert got == {email: want[fault] for email, fault in marts_run.faulted.items()}


def test_rates_are_the_ratios_of_the_counts(funnel: pd.DataFrame) -> None:
    pd.testing.assert_series_equal(
        funnel["send_rate"], funnel["accepted"] / funnel["requests_recorded"], check_names=False
    )
    pd.testing.assert_series_equal(
        funnel["skip_rate"], funnel["skipped"] / funnel["requests_recorded"], check_names=False
    )
    assert funnel.loc[DAYS[2], "failure_rate"] == 1.0
    assert funnel.loc[DAYS[0], "failure_rate"] == 0.0
    assert 0 < funnel.loc[DAYS[1], "send_rate"] < 1


def test_hours_to_request_match_the_crm_and_the_results_table(
    marts_run: MartsRun, funnel: pd.DataFrame
) -> None:
    rows = marts_run.query(
        "select r.closed_lost_date, r.first_attempted_at, o.stage_changed_at, o.close_date "
        "from hindsight.interview_requests r "
        "join crm_staging.stg_crm__opportunities o on o.opportunity_id = r.deal_id "
        "where r.status in ('sent', 'created')"
    )
    closed_lost_at = pd.to_datetime(rows["stage_changed_at"]).fillna(
        pd.to_datetime(rows["close_date"])
    )
    rows["hours"] = (
        pd.to_datetime(rows["first_attempted_at"]) - closed_lost_at
    ).dt.total_seconds() / 3600
    rows["closed_lost_date"] = pd.to_datetime(rows["closed_lost_date"]).dt.date
    expected = rows.groupby("closed_lost_date")["hours"].agg(["mean", "median"])
    assert len(expected) == 2  # day 3 sent nothing
    for day, row in expected.iterrows():
        # dbt.datediff counts minute boundaries: within a minute of the exact value.
        assert abs(funnel.loc[day, "avg_hours_to_request"] - row["mean"]) < 1 / 60
        assert abs(funnel.loc[day, "median_hours_to_request"] - row["median"]) < 1 / 60
        assert funnel.loc[day, "avg_hours_to_request"] > 24  # the days are 2-4 days old
    assert pd.isna(funnel.loc[DAYS[2], "avg_hours_to_request"])


def test_completion_columns_are_reserved_and_null(
    marts_run: MartsRun, funnel: pd.DataFrame
) -> None:
    assert funnel["completed_count"].isna().all() and funnel["completion_rate"].isna().all()
    nulls = marts_run.query(
        "select count(*) as n, count(completed_at) as done, count(is_completed) as flagged "
        "from hindsight_marts.fct_interview_outcomes"
    ).iloc[0]
    assert nulls["n"] > 50 and nulls["done"] == 0 and nulls["flagged"] == 0


def test_each_dimension_partitions_the_daily_funnel(
    marts_run: MartsRun, funnel: pd.DataFrame
) -> None:
    by_dimension = marts_run.query(
        "select * from hindsight_marts.interview_funnel_by_dimension_daily"
    )
    by_dimension["closed_lost_date"] = pd.to_datetime(by_dimension["closed_lost_date"]).dt.date
    assert set(by_dimension["dimension"]) == {
        "competitor", "loss_reason", "segment", "region", "deal_type", "owner",
    }  # fmt: skip
    summed = by_dimension.groupby(["dimension", "closed_lost_date"])[FUNNEL_COUNTS].sum()
    for dimension in summed.index.get_level_values(0).unique():
        got = summed.loc[dimension].sort_index()
        pd.testing.assert_frame_equal(
            got, funnel[FUNNEL_COUNTS].sort_index(), check_dtype=False, check_names=False
        )
    # One slice checked against the results table joined to the CRM directly.
    segment = marts_run.query(
        "select coalesce(a.segment, '(none)') as segment, count(*) as n "
        "from hindsight.interview_requests r "
        "join crm_staging.stg_crm__opportunities o on o.opportunity_id = r.deal_id "
        "left join crm_staging.stg_crm__accounts a on a.account_id = o.account_id "
        "where r.status = 'sent' group by 1"
    ).set_index("segment")["n"]
    mart = (
        by_dimension[by_dimension["dimension"] == "segment"]
        .groupby("dimension_value")["sent"]
        .sum()
    )
    assert len(segment) >= 2
    assert mart[mart > 0].sort_index().to_dict() == segment.sort_index().to_dict()


def test_outcome_reasons_match_the_results_table(marts_run: MartsRun) -> None:
    reasons = marts_run.query(
        "select outcome, reason, sum(rows_count) as n from hindsight_marts.interview_outcome_reasons_daily "
        "where outcome not in ('no_primary_contact', 'not_yet_processed') group by 1, 2"
    )
    direct = marts_run.query(
        "select status as outcome, coalesce(error_code, '(none)') as reason, count(*) as n "
        "from hindsight.interview_requests group by 1, 2"
    )
    key = ["outcome", "reason"]
    assert len(direct) >= 8
    pd.testing.assert_frame_equal(
        reasons.sort_values(key).reset_index(drop=True),
        direct.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    shares = marts_run.query(
        "select closed_lost_date, sum(share_of_day) as total from hindsight_marts.interview_outcome_reasons_daily group by 1"
    )
    assert len(shares) == 3 and ((shares["total"] - 1).abs() < 1e-9).all()


def test_fact_has_one_row_per_result_and_per_deal_without_one(marts_run: MartsRun) -> None:
    counts = marts_run.query(
        """
        select
            (select count(*) from hindsight_marts.fct_interview_outcomes where has_request_row) as with_row,
            (select count(*) from hindsight.interview_requests) as results,
            (select count(*) from hindsight_marts.fct_interview_outcomes where not has_request_row) as without_row,
            (select count(*) from hindsight_prep.closed_lost_deals d
             where not exists (select 1 from hindsight.interview_requests r where r.deal_id = d.opportunity_id)) as deals_without_row,
            (select count(*) from hindsight_marts.fct_interview_outcomes where is_candidate) as candidates,
            (select count(*) from hindsight_prep.closed_lost_interview_candidates) as candidate_rows
        """
    ).iloc[0]
    assert counts["results"] > 50
    assert counts["with_row"] == counts["results"]
    assert counts["without_row"] == counts["deals_without_row"] > 0
    assert counts["candidates"] == counts["candidate_rows"]
