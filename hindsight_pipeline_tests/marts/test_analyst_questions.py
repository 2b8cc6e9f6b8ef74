"""Every question of the README's "For analysts" section: its SQL, as written there, runs on the
marts built by the real job, and its answer agrees with a direct query of the results table;
the questions whose meaning is subtle are also run on a few hand-made rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd
import pytest

from hindsight_pipeline.paths import PROJECT_ROOT
from hindsight_pipeline_tests.marts.conftest import DAYS, MartsRun

README = PROJECT_ROOT / "README.md"
NO_INTERVIEW = "How many lost deals in the last 30 days got no interview request, and why?"
FAILED_LAST_WEEK = "What share of requests failed last week, and with which error codes?"


def analysts_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## For analysts\n", 1)[1].split("\n## ", 1)[0]


def questions() -> dict[str, str]:
    """Heading -> SQL of each ``####`` question under the section's ``### Questions``
    (exactly one sql block each)."""
    section = analysts_section().split("\n### Questions\n", 1)[1].split("\n### ", 1)[0]
    found: dict[str, str] = {}
    for part in section.split("\n#### ")[1:]:
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
    # A deal with any accepted contact row was asked: none of its rows count.
    not_asked = run.query(
        "select status, error_code, count(distinct deal_id) as n "
        "from hindsight.interview_requests r where not exists ("
        "  select 1 from hindsight.interview_requests a "
        "  where a.deal_id = r.deal_id and a.status in ('sent', 'created')) "
        "group by 1, 2"
    )
    assert len(not_asked[not_asked["status"] == "skipped"]) >= 4
    for row in not_asked.itertuples():
        assert got[(row.status, row.error_code)] == row.n
    no_contact = run.scalar(
        "select count(*) from hindsight_prep.closed_lost_deals d where primary_contact_id is null "
        "and not exists (select 1 from hindsight.interview_requests r where r.deal_id = d.opportunity_id)"
    )
    assert got[("no_primary_contact", "no_primary_contact")] == no_contact > 0
    assert got[("failed", "bad_request")] == run.scalar(
        "select count(*) from hindsight.interview_requests where status = 'failed'"
    )
    assert not {"sent", "created"} & set(answer["outcome"])
    assert len(answer) == len(not_asked) + 1


def _failure_share(answer: pd.DataFrame, run: MartsRun) -> None:
    direct = run.query(
        "select count(*) as attempted, "
        "sum(case when status = 'failed' and error_code = 'bad_request' then 1 else 0 end) as bad "
        "from hindsight.interview_requests "
        "where status in ('sent', 'created', 'failed', 'pending_retry', 'unconfirmed') "
        "and last_attempted_at >= current_date - 7"
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
    NO_INTERVIEW: (
        ["outcome", "reason", "deals"],
        _no_interview_and_why,
    ),
    FAILED_LAST_WEEK: (
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


def test_the_readme_has_exactly_the_tested_questions() -> None:
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


def test_the_readme_says_what_each_status_means_and_where_the_tables_are() -> None:
    from hindsight_pipeline.interview_requests.schema import RESULTS_TABLE, Status

    section = analysts_section()
    statuses = section.split("\n### What each status means\n", 1)[1].split("\n### ", 1)[0]
    for status in [*Status, "no_primary_contact", "not_yet_processed"]:
        assert f"| `{status}` |" in statuses, status
    tables = section.split("\n### Where the tables are\n", 1)[1].split("\n### ", 1)[0]
    assert f"`{RESULTS_TABLE}`" in tables
    for mart in (
        "fct_interview_outcomes", "interview_funnel_daily",
        "interview_funnel_by_dimension_daily", "interview_outcome_reasons_daily",
    ):  # fmt: skip
        assert f"`hindsight_marts.{mart}`" in tables
    assert "completed_count" in statuses and "reserved" in statuses


# --- the subtle questions on hand-made rows ---------------------------------------------------

FACT_COLUMNS = {
    "deal_id": "varchar",
    "contact_id": "varchar",
    "closed_lost_date": "date",
    "outcome": "varchar",
    "reason": "varchar",
    "error_code": "varchar",
    "is_attempted": "boolean",
    "is_accepted": "boolean",
    "last_attempted_at": "timestamp",
}


@pytest.fixture
def fact() -> Iterator[Callable[[list[tuple]], duckdb.DuckDBPyConnection]]:
    """An in-memory hindsight_marts.fct_interview_outcomes holding the given rows, as
    (deal_id, contact_id, days since closed-lost, outcome, reason, days since last attempt)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")

    def load(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
        today = datetime.now(UTC).date()
        now = datetime.now(UTC).replace(tzinfo=None)
        attempted = {"sent", "created", "failed", "pending_retry", "unconfirmed"}
        columns = ", ".join(f"{name} {kind}" for name, kind in FACT_COLUMNS.items())
        con.execute("create schema hindsight_marts")
        con.execute(f"create table hindsight_marts.fct_interview_outcomes ({columns})")
        for deal, contact, lost_days_ago, outcome, reason, attempt_days_ago in rows:
            con.execute(
                "insert into hindsight_marts.fct_interview_outcomes values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    deal,
                    contact,
                    today - timedelta(days=lost_days_ago),
                    outcome,
                    reason,
                    reason if outcome != "no_primary_contact" else None,
                    outcome in attempted,
                    outcome in ("sent", "created"),
                    None if attempt_days_ago is None else now - timedelta(days=attempt_days_ago),
                ],
            )
        return con

    yield load
    con.close()


def test_a_deal_with_any_accepted_contact_got_an_interview(fact: Callable) -> None:
    con = fact(
        [
            ("A", "a1", 3, "sent", None, 2),  # asked ...
            ("A", "a2", 3, "skipped", "contact_cooldown", None),  # ... so this does not count
            ("B", "b1", 5, "skipped", "opted_out", None),
            ("C", None, 5, "no_primary_contact", "no_primary_contact", None),
            ("D", "d1", 40, "failed", "bad_request", 39),  # outside the 30 days
            ("E", "e1", 10, "unconfirmed", "http_504", 9),
            ("E", "e2", 10, "skipped", "invalid_email", None),  # E shows under both
        ]
    )
    answer = con.execute(questions()[NO_INTERVIEW]).df()
    got = {(row.outcome, row.reason): row.deals for row in answer.itertuples()}
    assert got == {
        ("skipped", "opted_out"): 1,
        ("no_primary_contact", "no_primary_contact"): 1,
        ("unconfirmed", "http_504"): 1,
        ("skipped", "invalid_email"): 1,
    }


def test_failed_last_week_is_by_attempt_time_not_by_closed_lost_date(fact: Callable) -> None:
    con = fact(
        [
            ("A", "a1", 20, "pending_retry", "internal_error", 1),  # lost long ago, retried now
            ("B", "b1", 3, "sent", None, 2),
            ("C", "c1", 2, "failed", "bad_request", 1),
            ("D", "d1", 12, "failed", "bad_request", 10),  # attempted before last week
            ("E", "e1", 4, "skipped", "opted_out", None),  # never attempted
        ]
    )
    answer = con.execute(questions()[FAILED_LAST_WEEK]).df()
    got = {
        (row.outcome, row.error_code): (row.requests, row.share_of_attempted)
        for row in answer.itertuples()
    }
    assert got == {
        ("failed", "bad_request"): (1, pytest.approx(1 / 3)),
        ("pending_retry", "internal_error"): (1, pytest.approx(1 / 3)),
    }
