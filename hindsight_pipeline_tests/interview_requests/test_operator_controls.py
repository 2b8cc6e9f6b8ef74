"""Dry run, pause, cap, and the operator's resolve / requeue commands."""

from __future__ import annotations

import pytest

from hindsight_pipeline.interview_requests.controls import set_paused
from hindsight_pipeline.interview_requests.operations import (
    OperationRefused,
    mark_sent,
    requeue_failed,
    requeue_unconfirmed,
)
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline_tests.interview_requests.conftest import SCENARIO_DAY, SendEnv
from hindsight_pipeline_tests.interview_requests.test_failures import _eligible_emails

DRY_RUN = {"ops": {"hindsight__interview_requests": {"config": {"dry_run": True}}}}


def test_dry_run_sends_nothing_and_fills_the_preview(send_env: SendEnv) -> None:
    result = send_env.materialize(run_config=DRY_RUN)
    assert result.success
    assert send_env.server.requests() == [] or send_env.posts() == []
    preview = send_env.warehouse.query_df("select * from hindsight.interview_request_previews")
    would_send = preview[preview["would_be_status"] == "would_send"]
    assert len(would_send) > 20
    assert would_send["objective"].notna().all() and would_send["contact_context"].str.contains("crm_opportunity_id").all()
    assert set(preview[preview["would_be_status"] == "skipped"]["skip_reason"]) >= {"opted_out", "invalid_email"}
    assert not send_env.warehouse.table_exists("hindsight", "interview_requests") or send_env.table().empty
    metadata = result.asset_materializations_for_node("hindsight__interview_requests")[0].metadata
    assert metadata["would_send"].value == len(would_send)
    assert metadata["estimated_send_minutes"].value == pytest.approx(len(would_send) / 60_000, abs=0.1)
    # Sending for real afterwards sends exactly what the preview showed.
    assert send_env.materialize().success
    assert {p["body"]["contact_email"] for p in send_env.posts()} == set(would_send["contact_email"])


def test_pause_sends_nothing_and_fails_nothing(send_env: SendEnv) -> None:
    set_paused(send_env.warehouse, True, by="test")
    result = send_env.materialize()
    assert result.success
    assert send_env.posts() == []
    rows = send_env.table()
    assert set(rows["status"]) == {"skipped"}  # rules still recorded; nothing claimed
    metadata = result.asset_materializations_for_node("hindsight__interview_requests")[0].metadata
    assert metadata["stopped_by"].value == "paused"
    set_paused(send_env.warehouse, False, by="test")
    assert send_env.materialize().success
    assert len(send_env.posts()) > 20


def test_the_cap_holds(send_env: SendEnv) -> None:
    capped = SendPolicy(claim_batch_size=16, max_sends_per_run=5)
    assert send_env.materialize(send_policy=capped).success
    assert len(send_env.posts()) == 5
    assert (send_env.table()["status"] == "sent").sum() == 5
    assert send_env.materialize(send_policy=capped).success
    assert len(send_env.posts()) == 10
    assert len({p["body"]["contact_email"] for p in send_env.posts()}) == 10


def test_resolve_and_requeue_do_what_they_say_and_never_resend_an_accepted_row(send_env: SendEnv) -> None:
    found, requeued = _eligible_emails(send_env, 2)
    send_env.server.set_faults(by_email={found: "504_once", requeued: "drop_once"})
    assert send_env.materialize().success
    rows = send_env.table().set_index("contact_email")
    assert rows.loc[found, "status"] == rows.loc[requeued, "status"] == "unconfirmed"
    interview = next(i for i in send_env.server.interviews() if i["contact_email"] == found)

    mark_sent(send_env.warehouse, rows.loc[found, "deal_id"], rows.loc[found, "contact_id"], interview["interview_request_id"], by="ops")
    requeue_unconfirmed(send_env.warehouse, rows.loc[requeued, "deal_id"], rows.loc[requeued, "contact_id"], by="ops")
    with pytest.raises(OperationRefused):  # a resolved row cannot be requeued
        requeue_unconfirmed(send_env.warehouse, rows.loc[found, "deal_id"], rows.loc[found, "contact_id"], by="ops")

    assert send_env.materialize().success
    posts = [p["body"]["contact_email"] for p in send_env.posts()]
    assert posts.count(found) == 1  # resolved as sent: never sent again
    assert posts.count(requeued) == 2  # requeued: sent once more, as the operator asked
    rows = send_env.table().set_index("contact_email")
    assert rows.loc[found, "status"] == "sent"
    assert rows.loc[found, "interview_request_id"] == interview["interview_request_id"]
    assert rows.loc[requeued, "status"] == "sent"
    events = send_env.warehouse.query_df("select event, contact_email from hindsight.interview_request_attempts where event <> 'http_attempt'")
    assert set(zip(events["event"], events["contact_email"])) >= {("resolved_sent", found), ("requeued", requeued)}


def test_requeue_failed_after_a_fix(send_env: SendEnv) -> None:
    wrong = HindsightApi(api_key=send_env.server.api_key, base_url=send_env.server.base_url, sequence_id="seq_does_not_exist")
    assert send_env.materialize(hindsight=wrong).success
    failed = send_env.table("status = 'failed'")
    assert len(failed) > 20 and set(failed["error_message"]) == {"sequence_id not found"}
    failed_keys = set(zip(failed["deal_id"], failed["contact_id"]))

    def still_failed() -> set[tuple[str, str]]:
        rows = send_env.table("status = 'failed'")
        return set(zip(rows["deal_id"], rows["contact_id"]))

    # Failed rows stay failed until requeued. (A failed row does not hold its contact: a
    # duplicate_contact row of the same email on another deal may be sent in its place.)
    assert send_env.materialize().success
    assert still_failed() == failed_keys
    assert requeue_failed(send_env.warehouse, by="ops", error_code="bad_request") == len(failed)
    assert send_env.materialize().success
    assert still_failed() == set()
    rows = send_env.table().set_index(["deal_id", "contact_id"]).loc[sorted(failed_keys)]
    sent = rows[rows["status"] == "sent"]
    assert len(sent) >= len(failed_keys) - 10 and sent["interview_request_id"].notna().all()
    # The rest were not sent because their contact got an interview on another deal meanwhile.
    assert set(rows[rows["status"] != "sent"]["error_code"]) <= {"duplicate_contact", "contact_cooldown"}
    accepted = [i["contact_email"] for i in send_env.server.interviews()]
    assert len(accepted) == len(set(accepted))  # never a second interview for one contact
    events = send_env.warehouse.query_df("select count(*) as n from hindsight.interview_request_attempts where event = 'requeued'")
    assert events["n"][0] == len(failed)
