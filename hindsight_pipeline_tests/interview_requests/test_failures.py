"""What each kind of failure leaves in the table, and what reaches the server."""

from __future__ import annotations

import logging

import dagster as dg
import pandas as pd
import pytest

from hindsight_pipeline.interview_requests.resources import HindsightApi
from hindsight_pipeline_tests.interview_requests.conftest import SCENARIO_DAY, SendEnv


def _scenario_row(env: SendEnv, kind: str) -> pd.Series:
    dirt = env.frames.dirt
    deal = dirt[(dirt["kind"] == kind) & dirt["scenario"]]["opportunity_id"].iloc[0]
    return env.table(f"deal_id = '{deal}'").iloc[0]


def _eligible_emails(env: SendEnv, count: int) -> list[str]:
    """Emails of clean candidates of the scenario day (before anything is sent)."""
    rows = env.warehouse.query_df(
        "select lower(trim(contact_email)) as email from hindsight_prep.closed_lost_interview_candidates "
        "where closed_lost_date = ? and exclusion_reason is null and contact_email like '%@%.%' "
        "and contact_email not like '% %' order by opportunity_id",
        [SCENARIO_DAY],
    )
    return rows["email"].drop_duplicates().tolist()[5 : 5 + count]


def test_a_rejected_deal_id_is_dropped_and_the_interview_still_sent(send_env: SendEnv) -> None:
    send_env.materialize()
    row = _scenario_row(send_env, "hindsight_deal_id_stale")
    assert row["status"] == "sent"
    assert "deal_id" in row["notes"] and "without" in row["notes"]
    assert row["attempts"] == 2
    assert pd.isna(row["hindsight_deal_id"])
    posts = [p for p in send_env.posts() if p["body"]["contact_email"] == row["contact_email"]]
    assert [p["status"] for p in posts] == [400, 201]
    assert "deal_id" in posts[0]["body"] and "deal_id" not in posts[1]["body"]
    known = _scenario_row(send_env, "hindsight_deal_id")
    assert known["status"] == "sent" and known["hindsight_deal_id"].startswith("deal_")


def test_unauthorized_stops_the_run_with_a_clear_message(send_env: SendEnv) -> None:
    wrong = HindsightApi(
        api_key="hs_wrong_key_123",
        base_url=send_env.server.base_url,
        sequence_id="seq_winloss_default",
    )
    result = send_env.materialize(hindsight=wrong, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "401" in failure.message and "HINDSIGHT_API_KEY" in failure.message
    assert "hs_wrong_key_123" not in failure.to_string()
    rows = send_env.table()
    assert set(rows["status"]) <= {"skipped", "pending_retry"}  # nothing sent, nothing lost
    assert (rows["status"] == "pending_retry").sum() >= 1
    assert len(send_env.posts()) <= 8  # the requests already in flight, no more
    assert send_env.server.interviews() == []
    # Fixed key: the next run sends them.
    assert send_env.materialize().success
    assert (send_env.table()["status"] == "pending_retry").sum() == 0


def test_500s_and_503s_end_sent_or_pending_retry_never_lost(send_env: SendEnv) -> None:
    send_env.server.set_faults(rate_500=0.35, rate_503=0.35, seed=7)
    assert send_env.materialize().success
    rows = send_env.table()
    sent = rows[rows["status"].isin(["sent", "created"])]
    retry = rows[rows["status"] == "pending_retry"]
    assert len(sent) > 0
    assert set(rows["status"]) <= {"sent", "created", "skipped", "pending_retry"}
    assert set(retry["error_code"]) <= {"internal_error", "service_unavailable", "http_503"}
    assert len(sent) == len(send_env.server.interviews())
    # The next run (no faults) sends what was left.
    send_env.server.set_faults()
    assert send_env.materialize().success
    rows = send_env.table()
    assert (rows["status"] == "pending_retry").sum() == 0
    assert len(rows[rows["status"].isin(["sent", "created"])]) == len(send_env.server.interviews())


def test_504s_and_dropped_answers_are_unconfirmed_and_sent_once(send_env: SendEnv) -> None:
    gateway, dropped = _eligible_emails(send_env, 2)
    send_env.server.set_faults(by_email={gateway: "504", dropped: "drop"})
    assert send_env.materialize().success
    rows = send_env.table().set_index("contact_email")
    for email in (gateway, dropped):
        assert rows.loc[email, "status"] == "unconfirmed"
        assert len([p for p in send_env.posts() if p["body"]["contact_email"] == email]) == 1
    # A rerun does not resend them.
    assert send_env.materialize().success
    for email in (gateway, dropped):
        assert len([p for p in send_env.posts() if p["body"]["contact_email"] == email]) == 1
    emails = [i["contact_email"] for i in send_env.server.interviews()]
    assert emails.count(gateway) == 1 and emails.count(dropped) == 1


def test_the_api_key_reaches_no_log_metadata_table_or_event(
    send_env: SendEnv, caplog: pytest.LogCaptureFixture
) -> None:
    key = send_env.server.api_key
    caplog.set_level(logging.DEBUG)
    instance = dg.DagsterInstance.ephemeral()
    send_env.server.set_faults(rate_500=0.2, rate_504=0.1, seed=3)
    assert send_env.materialize(instance=instance).success
    wrong = HindsightApi(
        api_key=key + "X", base_url=send_env.server.base_url, sequence_id="seq_winloss_default"
    )
    send_env.materialize(instance=instance, hindsight=wrong, raise_on_error=False)
    assert key not in caplog.text
    for record in instance.all_logs(instance.get_runs()[0].run_id) + instance.all_logs(
        instance.get_runs()[1].run_id
    ):
        assert key not in str(record)
    for table in ("interview_requests", "interview_request_attempts"):
        dump = send_env.warehouse.query_df(f"select * from hindsight.{table}").to_csv()
        assert key not in dump
