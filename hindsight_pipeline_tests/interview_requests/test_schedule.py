"""The daily schedule: which partitions a tick asks for, and late deals sent once."""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg
import pandas as pd

from hindsight_pipeline.dbt.assets import hindsight_dbt_marts, hindsight_dbt_models
from hindsight_pipeline.interview_requests.assets import interview_requests
from hindsight_pipeline.interview_requests.schedules import daily_interview_requests_schedule
from hindsight_pipeline_tests.interview_requests.conftest import SendEnv
from hindsight_pipeline_tests.support import dbt_resource


def run_as_the_job(env: SendEnv, request: dg.RunRequest) -> dg.ExecuteInJobResult:
    """What the run a request starts does: the job's assets (dbt models, send, marts)."""
    return dg.materialize(
        [hindsight_dbt_models, interview_requests, hindsight_dbt_marts],
        partition_key=request.partition_key,
        selection=request.asset_selection,
        resources=env.resources(dbt=dbt_resource()),
        tags=request.tags,
    )


def evaluate(env: SendEnv, tick: datetime) -> list[dg.RunRequest]:
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, resources={"warehouse": env.warehouse}
    )
    return list(daily_interview_requests_schedule(context))


def test_a_tick_asks_for_yesterday_the_lookback_and_old_pending_retries(send_env: SendEnv) -> None:
    send_env.materialize("2026-11-01")
    send_env.warehouse.execute(
        "update hindsight.interview_requests set status = 'pending_retry' "
        "where deal_id = (select min(deal_id) from hindsight.interview_requests where status = 'sent')"
    )
    requests = evaluate(send_env, datetime(2026, 11, 10, 6))
    assert [r.partition_key for r in requests] == [
        "2026-11-09", "2026-11-08", "2026-11-07", "2026-11-06", "2026-11-01",
    ]  # fmt: skip
    assert [r.tags["hindsight/reason"] for r in requests] == [
        "daily", "lookback", "lookback", "lookback", "retry_sweep",
    ]  # fmt: skip
    # Each the whole job: dbt (fresh candidates), the send, the marts.
    assert all(r.asset_selection is None for r in requests)
    assert all(r.tags["dagster/priority"] == "10" for r in requests)
    next_tick = evaluate(send_env, datetime(2026, 11, 11, 6))
    keys = [r.run_key for r in requests + next_tick]
    assert len(keys) == len(set(keys))  # unique across ticks
    assert [r.run_key for r in evaluate(send_env, datetime(2026, 11, 10, 6))] == [
        r.run_key for r in requests
    ]


def _add_late_deal(env: SendEnv, day: date) -> str:
    """A closed-lost deal that reaches the CRM sync after its day was already sent."""
    wh = env.warehouse
    opp = wh.query_df("select * from crm.opportunities where opportunity_id = '006000000000000000'")
    opp["opportunity_id"] = "006LATEDEAL0000001"
    opp["stage_changed_at"] = pd.Timestamp(day) + pd.Timedelta(hours=15)
    opp["close_date"] = day
    opp["hindsight_deal_id"] = None
    contact = wh.query_df(
        "select * from crm.contacts where email like '%@%.%' and not email_opt_out and not is_deleted and email not like '%acme-software%' limit 1"
    )
    contact["contact_id"] = "003LATECONTACT0001"
    contact["email"] = "late.buyer@latecomer-industries.com"
    roles = pd.DataFrame(
        [
            {
                "opportunity_id": "006LATEDEAL0000001",
                "contact_id": "003LATECONTACT0001",
                "role": "Economic Buyer",
                "is_primary": True,
            }
        ]
    )

    def write(session: object) -> None:
        session.insert_df("crm.opportunities", opp)  # type: ignore[attr-defined]
        session.insert_df("crm.contacts", contact)  # type: ignore[attr-defined]
        session.insert_df("crm.opportunity_contact_roles", roles)  # type: ignore[attr-defined]

    wh.transaction(write)
    return "late.buyer@latecomer-industries.com"


def test_a_late_deal_in_an_already_run_partition_is_sent_on_the_next_tick_once(
    send_env: SendEnv,
) -> None:
    day = "2026-11-02"
    send_env.materialize(day)
    before = len(send_env.posts())
    email = _add_late_deal(send_env, date(2026, 11, 2))  # nothing rebuilds dbt by hand

    for tick in (datetime(2026, 11, 4, 6), datetime(2026, 11, 5, 6)):
        for request in evaluate(send_env, tick):
            if request.partition_key == day:
                assert request.tags["hindsight/reason"] == "lookback"
                assert run_as_the_job(send_env, request).success
    new_posts = send_env.posts()[before:]
    assert [p["body"]["contact_email"] for p in new_posts] == [email]
    row = send_env.table("deal_id = '006LATEDEAL0000001'").iloc[0]
    assert row["status"] == "sent" and row["closed_lost_date"] == pd.Timestamp(day)
