"""Asset checks on the send asset: the promises of DESIGN.md, verified from the attempts log."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from hindsight_pipeline.interview_requests.assets import INTERVIEW_REQUESTS_KEY
from hindsight_pipeline.interview_requests.metadata import markdown_table
from hindsight_pipeline.interview_requests.resources import SendPolicy
from hindsight_pipeline.interview_requests.schema import (
    ATTEMPTS_TABLE,
    RESULTS_TABLE,
    Status,
    warehouse_now,
)
from hindsight_pipeline.warehouse import Warehouse

# An accepted answer, or an operator's word that a request was accepted.
ACCEPTED_EVENTS = "(event = 'http_attempt' and outcome = 'accepted') or event = 'resolved_sent'"
FAILURE_RATE_THRESHOLD = 0.05
FAILURE_RATE_WINDOW_DAYS = 7


def _tables_exist(warehouse: Warehouse) -> bool:
    return warehouse.table_exists(*ATTEMPTS_TABLE.split("."))


@dg.asset_check(asset=INTERVIEW_REQUESTS_KEY, blocking=False)
def no_contact_accepted_twice_within_cooldown(
    warehouse: Warehouse, send_policy: SendPolicy
) -> dg.AssetCheckResult:
    """No email accepted by Hindsight twice, on any deals, within the cool-down window."""
    if not _tables_exist(warehouse):
        return dg.AssetCheckResult(passed=True, metadata={"note": "no attempts yet"})
    accepted = warehouse.query_df(
        f"select contact_email, deal_id, attempted_at from {ATTEMPTS_TABLE} "
        f"where {ACCEPTED_EVENTS} order by contact_email, attempted_at"
    )
    pairs = accepted_twice_within(accepted, timedelta(days=send_policy.contact_cooldown_days))
    return _no_violations(pairs)


def _no_violations(violations: pd.DataFrame) -> dg.AssetCheckResult:
    """Passes on no rows; shows how many and the first ten otherwise."""
    return dg.AssetCheckResult(
        passed=violations.empty,
        metadata={
            "violations": len(violations),
            "examples": dg.MetadataValue.md(markdown_table(violations.head(10))),
        },
    )


@dg.asset_check(asset=INTERVIEW_REQUESTS_KEY, blocking=False)
def no_attempt_after_acceptance(warehouse: Warehouse) -> dg.AssetCheckResult:
    """No (deal, contact) was attempted again after Hindsight accepted it."""
    if not _tables_exist(warehouse):
        return dg.AssetCheckResult(passed=True, metadata={"note": "no attempts yet"})
    late = warehouse.query_df(
        f"""
        with first_accepted as (
            select deal_id, contact_id, min(attempted_at) as accepted_at from {ATTEMPTS_TABLE}
            where {ACCEPTED_EVENTS} group by 1, 2
        )
        select a.deal_id, a.contact_id, count(*) as later_attempts
        from {ATTEMPTS_TABLE} a join first_accepted f
          on a.deal_id = f.deal_id and a.contact_id = f.contact_id
        where a.event = 'http_attempt' and a.attempted_at > f.accepted_at
        group by 1, 2
        """
    )
    return _no_violations(late)


@dg.asset_check(asset=INTERVIEW_REQUESTS_KEY, blocking=False)
def no_unconfirmed_requests(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every request's outcome is known. Unconfirmed rows need a person: see the README."""
    counts = _status_count(warehouse, Status.UNCONFIRMED)
    return dg.AssetCheckResult(
        passed=counts == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"unconfirmed": counts},
    )


@dg.asset_check(asset=INTERVIEW_REQUESTS_KEY, blocking=False)
def failure_rate_below_threshold(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Of the requests attempted in the last 7 days, at most 5% failed for good."""
    if not warehouse.table_exists(*RESULTS_TABLE.split(".")):
        return dg.AssetCheckResult(passed=True, metadata={"note": "no requests yet"})
    found = warehouse.query_df(
        f"""
        select count(*) as attempted,
            coalesce(sum(case when status = '{Status.FAILED}' then 1 else 0 end), 0) as failed
        from {RESULTS_TABLE}
        where last_attempted_at >= ?
          and status not in ('{Status.SKIPPED}', '{Status.SENDING}')
        """,
        [warehouse_now() - timedelta(days=FAILURE_RATE_WINDOW_DAYS)],
    )
    attempted, failed = int(found["attempted"].iloc[0]), int(found["failed"].iloc[0])
    rate = failed / attempted if attempted else 0.0
    return dg.AssetCheckResult(
        passed=rate <= FAILURE_RATE_THRESHOLD,
        metadata={"attempted": attempted, "failed": failed, "failure_rate": round(rate, 4)},
    )


def accepted_twice_within(accepted: pd.DataFrame, window: timedelta) -> pd.DataFrame:
    """Consecutive acceptances of one email closer than ``window`` (input sorted by email, time)."""
    previous = accepted.groupby("contact_email")[["deal_id", "attempted_at"]].shift()
    close = (accepted["attempted_at"] - previous["attempted_at"]) < window
    return pd.DataFrame(
        {
            "contact_email": accepted.loc[close, "contact_email"],
            "first_deal": previous.loc[close, "deal_id"],
            "second_deal": accepted.loc[close, "deal_id"],
        }
    )


def _status_count(warehouse: Warehouse, status: Status) -> int:
    if not warehouse.table_exists(*RESULTS_TABLE.split(".")):
        return 0
    found = warehouse.query_df(
        f"select count(*) as n from {RESULTS_TABLE} where status = ?", [status.value]
    )
    return int(pd.to_numeric(found["n"]).iloc[0])


interview_request_checks = [
    no_contact_accepted_twice_within_cooldown,
    no_attempt_after_acceptance,
    no_unconfirmed_requests,
    failure_rate_below_threshold,
]
