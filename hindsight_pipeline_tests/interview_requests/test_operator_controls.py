"""Dry run, pause, cap, and the operator's resolve / requeue commands."""

from __future__ import annotations

from datetime import date

import pytest

from hindsight_pipeline.interview_requests.controls import set_paused
from hindsight_pipeline.interview_requests.operations import (
    OperationRefused,
    mark_sent,
    requeue_failed,
    requeue_unconfirmed,
)
from hindsight_pipeline.interview_requests.resources import HindsightApi, SendPolicy
from hindsight_pipeline.interview_requests.schedules import days_with_pending_retries
from hindsight_pipeline_tests.interview_requests.conftest import SendEnv
from hindsight_pipeline_tests.interview_requests.test_failures import _eligible_emails

DRY_RUN = {"ops": {"hindsight__interview_requests": {"config": {"dry_run": True}}}}


def test_dry_run_sends_nothing_and_fills_the_preview(send_env: SendEnv) -> None:
    result = send_env.materialize(run_config=DRY_RUN)
    assert result.success
    assert send_env.posts() == []
    preview = send_env.warehouse.query_df("select * from hindsight.interview_request_previews")
    would_send = preview[preview["would_be_status"] == "would_send"]
    assert len(would_send) > 20
    assert (
        would_send["objective"].notna().all()
        and would_send["contact_context"].str.contains("crm_opportunity_id").all()
    )
    assert set(preview[preview["would_be_status"] == "skipped"]["skip_reason"]) >= {
        "opted_out",
        "invalid_email",
    }
    assert (
        not send_env.warehouse.table_exists("hindsight", "interview_requests")
        or send_env.table().empty
    )
    metadata = result.asset_materializations_for_node("hindsight__interview_requests")[0].metadata
    assert metadata["would_send"].value == len(would_send)
    assert metadata["estimated_send_minutes"].value == pytest.approx(
        len(would_send) / 60_000, abs=0.1
    )
    # Sending for real afterwards sends exactly what the preview showed.
    assert send_env.materialize().success
    assert {p["body"]["contact_email"] for p in send_env.posts()} == set(
        would_send["contact_email"]
    )


def test_pause_sends_nothing_and_fails_nothing(send_env: SendEnv) -> None:
    set_paused(send_env.warehouse, True, by="test")
    result = send_env.materialize()
    assert result.success
    assert send_env.posts() == []
    rows = send_env.table()
    # Rules still recorded; every eligible row waits as pending_retry (the sweep sees it).
    assert set(rows["status"]) == {"skipped", "pending_retry"}
    waiting = rows[rows["status"] == "pending_retry"]
    assert len(waiting) > 20 and set(waiting["error_code"]) == {"paused"}
    metadata = result.asset_materializations_for_node("hindsight__interview_requests")[0].metadata
    assert metadata["stopped_by"].value == "paused"
    assert metadata["deferred_pending_retry"].value == len(waiting)
    set_paused(send_env.warehouse, False, by="test")
    assert send_env.materialize().success
    # Each waiting row accepted once (a rejected deal_id costs a second POST, not a second
    # interview).
    accepted = sorted(i["contact_email"] for i in send_env.server.interviews())
    assert accepted == sorted(waiting["contact_email"])
    assert set(send_env.table()["status"]) <= {"skipped", "sent", "created"}


def test_the_cap_holds(send_env: SendEnv) -> None:
    capped = SendPolicy(claim_batch_size=16, max_sends_per_run=5)
    assert send_env.materialize(send_policy=capped).success
    assert len(send_env.posts()) == 5
    rows = send_env.table()
    assert (rows["status"] == "sent").sum() == 5
    # The rest are not left without a row: pending_retry, for the next run or the sweep.
    waiting = rows[rows["status"] == "pending_retry"]
    assert len(waiting) > 10 and set(waiting["error_code"]) == {"run_cap_reached"}
    assert send_env.materialize(send_policy=capped).success
    assert len(send_env.posts()) == 10
    assert len({p["body"]["contact_email"] for p in send_env.posts()}) == 10


def test_resolve_and_requeue_do_what_they_say_and_never_resend_an_accepted_row(
    send_env: SendEnv,
) -> None:
    found, requeued = _eligible_emails(send_env, 2)
    send_env.server.set_faults(by_email={found: "504_once", requeued: "drop_once"})
    assert send_env.materialize().success
    rows = send_env.table().set_index("contact_email")
    assert rows.loc[found, "status"] == rows.loc[requeued, "status"] == "unconfirmed"
    interview = next(i for i in send_env.server.interviews() if i["contact_email"] == found)

    mark_sent(
        send_env.warehouse,
        rows.loc[found, "deal_id"],
        rows.loc[found, "contact_id"],
        interview["interview_request_id"],
        by="ops",
    )
    with pytest.raises(OperationRefused, match="already recorded"):  # one id, one row
        mark_sent(
            send_env.warehouse,
            rows.loc[requeued, "deal_id"],
            rows.loc[requeued, "contact_id"],
            interview["interview_request_id"],
            by="ops",
        )
    requeue_unconfirmed(
        send_env.warehouse,
        rows.loc[requeued, "deal_id"],
        rows.loc[requeued, "contact_id"],
        by="ops",
    )
    with pytest.raises(OperationRefused):  # a resolved row cannot be requeued
        requeue_unconfirmed(
            send_env.warehouse, rows.loc[found, "deal_id"], rows.loc[found, "contact_id"], by="ops"
        )

    assert send_env.materialize().success
    posts = [p["body"]["contact_email"] for p in send_env.posts()]
    assert posts.count(found) == 1  # resolved as sent: never sent again
    assert posts.count(requeued) == 2  # requeued: sent once more, as the operator asked
    rows = send_env.table().set_index("contact_email")
    assert rows.loc[found, "status"] == "sent"
    assert rows.loc[found, "interview_request_id"] == interview["interview_request_id"]
    assert rows.loc[requeued, "status"] == "sent"
    events = send_env.warehouse.query_df(
        "select event, contact_email from hindsight.interview_request_attempts where event <> 'http_attempt'"
    )
    assert set(zip(events["event"], events["contact_email"], strict=False)) >= {
        ("resolved_sent", found),
        ("requeued", requeued),
    }


def test_requeue_failed_after_a_fix(send_env: SendEnv) -> None:
    wrong = HindsightApi(
        api_key=send_env.server.api_key,
        base_url=send_env.server.base_url,
        sequence_id="seq_does_not_exist",
    )
    assert send_env.materialize(hindsight=wrong).success
    failed = send_env.table("status = 'failed'")
    assert len(failed) > 20 and set(failed["error_message"]) == {"sequence_id not found"}
    failed_keys = set(zip(failed["deal_id"], failed["contact_id"], strict=False))

    def still_failed() -> set[tuple[str, str]]:
        rows = send_env.table("status = 'failed'")
        return set(zip(rows["deal_id"], rows["contact_id"], strict=False))

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
    assert set(rows[rows["status"] != "sent"]["error_code"]) <= {
        "duplicate_contact",
        "contact_cooldown",
    }
    accepted = [i["contact_email"] for i in send_env.server.interviews()]
    assert len(accepted) == len(set(accepted))  # never a second interview for one contact
    events = send_env.warehouse.query_df(
        "select count(*) as n from hindsight.interview_request_attempts where event = 'requeued'"
    )
    assert events["n"][0] == len(failed)


def test_max_deal_age_skips_old_first_sends_but_retries_pending_rows(send_env: SendEnv) -> None:
    old = SendPolicy(claim_batch_size=16, max_deal_age_days=5)  # the scenario day is older
    assert send_env.materialize(send_policy=old).success
    assert send_env.posts() == []
    too_old = send_env.table("error_code = 'deal_too_old'")
    assert len(too_old) > 20
    # A row that was pending_retry (a transient failure earlier) is retried whatever its age.
    retry = too_old.sort_values("deal_id").iloc[0]
    send_env.warehouse.execute(
        "update hindsight.interview_requests set status = 'pending_retry', error_code = null "
        "where deal_id = ? and contact_id = ?",
        [retry["deal_id"], retry["contact_id"]],
    )
    assert send_env.materialize(send_policy=old).success
    assert [p["body"]["contact_email"] for p in send_env.posts()] == [retry["contact_email"]]
    assert len(send_env.table("error_code = 'deal_too_old'")) == len(too_old) - 1


def test_a_pending_retry_row_whose_candidate_left_is_skipped_not_swept_forever(
    send_env: SendEnv,
) -> None:
    assert send_env.materialize().success
    sent = send_env.table("status = 'sent'").sort_values("deal_id").iloc[0]
    key = [sent["deal_id"], sent["contact_id"]]
    send_env.warehouse.execute(
        "update hindsight.interview_requests set status = 'pending_retry' "
        "where deal_id = ? and contact_id = ?",
        key,
    )
    # The deal left the candidates since (reopened, contact deleted, role changed).
    send_env.warehouse.execute(
        "delete from hindsight_prep.closed_lost_interview_candidates "
        "where opportunity_id = ? and contact_id = ?",
        key,
    )
    posts = len(send_env.posts())
    assert send_env.materialize().success
    assert len(send_env.posts()) == posts
    row = send_env.table(f"deal_id = '{key[0]}' and contact_id = '{key[1]}'").iloc[0]
    assert (row["status"], row["error_code"]) == ("skipped", "no_longer_a_candidate")
    assert days_with_pending_retries(send_env.warehouse, before=date(2026, 12, 1)) == []


def test_a_dry_run_counts_the_cooldown_a_real_run_would_meet(send_env: SendEnv) -> None:
    """A contact already interviewed on another day shows as contact_cooldown in the
    preview, so the preview's would_send (and its time estimate) is what will go out."""
    assert send_env.materialize("2026-11-02").success
    posts = len(send_env.posts())
    result = send_env.materialize("2026-11-03", run_config=DRY_RUN)
    assert result.success and len(send_env.posts()) == posts
    preview = send_env.warehouse.query_df(
        "select * from hindsight.interview_request_previews where closed_lost_date = '2026-11-03'"
    )
    cooled = preview[preview["skip_reason"] == "contact_cooldown"]
    assert len(cooled) >= 1
    sent_before = set(
        send_env.table("closed_lost_date = '2026-11-02' and status = 'sent'")["contact_email"]
    )
    assert set(cooled["contact_email"]) <= sent_before
    metadata = result.asset_materializations_for_node("hindsight__interview_requests")[0].metadata
    would_send = preview[preview["would_be_status"] == "would_send"]
    assert metadata["would_send"].value == len(would_send)
    assert send_env.materialize("2026-11-03").success
    new = {p["body"]["contact_email"] for p in send_env.posts()[posts:]}
    assert new == set(would_send["contact_email"])
