"""Every question of docs/analysts.md: its SQL, as written there, runs on the marts built by the
real job, and its answer agrees with a direct query of the results table."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import pytest

from hindsight_pipeline.paths import PROJECT_ROOT
from hindsight_pipeline_tests.marts.conftest import DAYS, MartsRun

GUIDE = PROJECT_ROOT / "docs" / "analysts.md"


def questions() -> dict[str, str]:
    """Heading -> SQL of each ``###`` question under ``## Questions`` (exactly one block each)."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("\n## Questions\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for part in section.split("\n### ")[1:]:
        heading, body = part.split("\n", 1)
        blocks = re.findall(r"```sql\n(.*?)```", body, flags=re.DOTALL)
        assert len(blocks) == 1, f"{heading!r}: expected one sql block, found {len(blocks)}"
        found[heading.strip()] = blocks[0]
    return found


Check = Callable[[pd.DataFrame, MartsRun], None]


def _sent_by_competitor(answer: pd.DataFrame, run: MartsRun) -> None:
    top = answer.iloc[0]
    direct = run.scalar(
        "select count(*) from hindsight.interview_requests r "
        "join crm_staging.stg_crm__opportunities o on o.opportunity_id = r.deal_id "
        "where r.status in ('sent', 'created') and coalesce(o.primary_competitor, '(none)') = ?",
        [top["competitor"]],
    )
    assert top["buyers_asked"] == direct > 0
    assert answer["buyers_asked"].is_monotonic_decreasing
    assert answer["buyers_asked"].sum() == run.scalar(
        "select count(*) from hindsight.interview_requests where status in ('sent', 'created')"
    )
    assert answer["buyers_interviewed"].isna().all()  # completion is not known yet


def _no_interview_and_why(answer: pd.DataFrame, run: MartsRun) -> None:
    got = {(row.outcome, row.reason): row.deals for row in answer.itertuples()}
    skipped = run.query(
        "select error_code, count(distinct deal_id) as n from hindsight.interview_requests "
        "where status = 'skipped' group by 1"
    )
    assert len(skipped) >= 4
    for row in skipped.itertuples():
        assert got[("skipped", row.error_code)] == row.n
    no_contact = run.scalar(
        "select count(*) from hindsight_prep.closed_lost_deals where primary_contact_id is null"
    )
    assert got[("no_primary_contact", "no_primary_contact")] == no_contact > 0
    assert got[("failed", "bad_request")] == run.scalar(
        "select count(*) from hindsight.interview_requests where status = 'failed'"
    )
    assert not {"sent", "created"} & set(answer["outcome"])


def _failure_share(answer: pd.DataFrame, run: MartsRun) -> None:
    direct = run.query(
        "select count(*) as attempted, "
        "sum(case when status = 'failed' and error_code = 'bad_request' then 1 else 0 end) as bad "
        "from hindsight.interview_requests "
        "where status in ('sent', 'created', 'failed', 'pending_retry', 'unconfirmed')"
    ).iloc[0]
    bad = answer[(answer["outcome"] == "failed") & (answer["error_code"] == "bad_request")].iloc[0]
    assert bad["requests"] == direct["bad"] > 0
    assert abs(bad["share_of_attempted"] - direct["bad"] / direct["attempted"]) < 1e-9
    assert set(answer["outcome"]) == {"failed", "pending_retry", "unconfirmed"}
    assert answer["share_of_attempted"].between(0, 1).all()


def _hours_to_request(answer: pd.DataFrame, run: MartsRun) -> None:
    assert [pd.Timestamp(d).date() for d in answer["closed_lost_date"]] == DAYS[:2]
    day = DAYS[0]
    rows = run.query(
        "select r.first_attempted_at, o.stage_changed_at, o.close_date "
        "from hindsight.interview_requests r "
        "join crm_staging.stg_crm__opportunities o on o.opportunity_id = r.deal_id "
        "where r.status in ('sent', 'created') and r.closed_lost_date = ?",
        [day],
    )
    start = pd.to_datetime(rows["stage_changed_at"]).fillna(pd.to_datetime(rows["close_date"]))
    hours = (pd.to_datetime(rows["first_attempted_at"]) - start).dt.total_seconds() / 3600
    first = answer.iloc[0]
    assert first["accepted"] == len(rows) > 0
    assert abs(first["avg_hours"] - hours.mean()) <= 0.06  # rounded to 0.1
    assert abs(first["median_hours"] - hours.median()) <= 0.06


def _owners_missing_contacts(answer: pd.DataFrame, run: MartsRun) -> None:
    top = answer.iloc[0]
    direct = run.scalar(
        """
        select count(distinct d.opportunity_id)
        from hindsight_prep.closed_lost_deals d
        join crm_staging.stg_crm__opportunities o on o.opportunity_id = d.opportunity_id
        left join hindsight.interview_requests r on r.deal_id = d.opportunity_id
        where o.owner_name is not distinct from ?
          and (d.primary_contact_id is null
               or (r.status = 'skipped' and r.error_code in ('missing_email', 'invalid_email')))
        """,
        [top["owner_name"]],
    )
    assert top["deals_missing_a_contact"] == direct > 0
    assert answer["deals_missing_a_contact"].is_monotonic_decreasing
    assert (answer["share_missing"] > 0).all() and (answer["share_missing"] <= 1).all()


def _funnel_by_day(answer: pd.DataFrame, run: MartsRun) -> None:
    assert [pd.Timestamp(d).date() for d in answer["closed_lost_date"]] == DAYS
    direct = run.query(
        "select closed_lost_date, sum(case when status in ('sent', 'created') then 1 else 0 end) as accepted, "
        "sum(case when status = 'skipped' then 1 else 0 end) as skipped "
        "from hindsight.interview_requests group by 1 order by 1"
    )
    assert answer["accepted"].tolist() == direct["accepted"].tolist()
    assert answer["skipped"].tolist() == direct["skipped"].tolist()
    assert answer["accepted"].sum() == len([p for p in run.env.posts() if p["status"] == 201])


EXPECTED: dict[str, tuple[list[str], Check]] = {
    "Which competitor do we lose to most where the buyer agreed to talk?": (
        ["competitor", "deals_lost", "buyers_asked", "buyers_interviewed"],
        _sent_by_competitor,
    ),
    "How many lost deals in the last 30 days got no interview request, and why?": (
        ["outcome", "reason", "deals"],
        _no_interview_and_why,
    ),
    "What share of requests failed last week, and with which error codes?": (
        ["outcome", "error_code", "requests", "share_of_attempted"],
        _failure_share,
    ),
    "How long from closed-lost to interview request?": (
        ["closed_lost_date", "accepted", "avg_hours", "median_hours"],
        _hours_to_request,
    ),
    "Which owners' lost deals are most often skipped for missing contacts?": (
        ["owner_name", "lost_deals", "deals_missing_a_contact", "share_missing"],
        _owners_missing_contacts,
    ),
    "What does the funnel look like, day by day, this week?": (
        [
            "closed_lost_date",
            "closed_lost_deals",
            "candidates",
            "skipped",
            "eligible",
            "accepted",
            "failed",
            "pending_retry",
            "unconfirmed",
            "send_rate",
        ],
        _funnel_by_day,
    ),
}


def test_the_guide_has_exactly_the_tested_questions() -> None:
    found = questions()
    assert len(found) >= 5
    assert set(found) == set(EXPECTED)


@pytest.mark.parametrize("question", list(EXPECTED))
def test_each_question_answers_what_it_claims(marts_run: MartsRun, question: str) -> None:
    columns, check = EXPECTED[question]
    answer = marts_run.query(questions()[question])
    assert len(answer) > 0
    assert list(answer.columns) == columns
    check(answer, marts_run)
