"""At most once per (deal, contact): re-runs, concurrent runs, and a killed run."""

from __future__ import annotations

import collections
import os
import signal
import time

import pytest

from hindsight_pipeline.interview_requests.resources import SendPolicy
from hindsight_pipeline_tests.interview_requests.conftest import SCENARIO_DAY, SendEnv

ACCEPTED = {"sent", "created"}


def accepted_emails(env: SendEnv) -> collections.Counter[str]:
    return collections.Counter(i["contact_email"] for i in env.server.interviews())


def test_rematerializing_a_partition_sends_nothing_new(send_env: SendEnv) -> None:
    send_env.materialize()
    first_posts = len(send_env.posts())
    before = send_env.table().sort_values(["deal_id", "contact_id"]).reset_index(drop=True)
    assert first_posts > 20
    result = send_env.materialize()
    assert result.success
    assert len(send_env.posts()) == first_posts
    after = send_env.table().sort_values(["deal_id", "contact_id"]).reset_index(drop=True)
    assert after["status"].tolist() == before["status"].tolist()
    assert after["interview_request_id"].tolist() == before["interview_request_id"].tolist()


def test_the_same_partition_twice_at_once_sends_each_request_once(send_env: SendEnv) -> None:
    send_env.server.set_faults(latency=20)
    runs = [send_env.spawn(claim_batch_size=4, max_in_flight=2) for _ in range(2)]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    counts = accepted_emails(send_env)
    assert counts and max(counts.values()) == 1
    rows = send_env.table(f"closed_lost_date = '{SCENARIO_DAY}'")
    assert rows[["deal_id", "contact_id"]].duplicated().sum() == 0
    assert len(rows[rows["status"].isin(ACCEPTED)]) == len(send_env.server.interviews())
    assert rows["dagster_run_id"].notna().all()


def test_two_partitions_at_once_with_one_contact_in_both_send_once(send_env: SendEnv) -> None:
    dirt = send_env.frames.dirt
    shared = dirt[(dirt["kind"] == "shared_contact_weeks_apart") & dirt["scenario"]]
    contact = shared["contact_id"].dropna().iloc[0]
    runs = [send_env.spawn(day, claim_batch_size=4) for day in ("2026-11-02", "2026-11-03")]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    rows = send_env.table(f"contact_id = '{contact}'")
    assert len(rows) == 2
    assert sorted(rows["status"]) == ["sent", "skipped"]
    assert rows.loc[rows["status"] == "skipped", "error_code"].tolist() == ["contact_cooldown"]
    email = rows["contact_email"].iloc[0]
    assert accepted_emails(send_env)[email] == 1
    assert max(accepted_emails(send_env).values()) == 1


@pytest.mark.slow
def test_a_run_killed_mid_partition_then_rerun_never_sends_twice(send_env: SendEnv) -> None:
    batch = 6
    send_env.server.set_faults(latency=150)
    run = send_env.spawn(claim_batch_size=batch, max_in_flight=3)
    assert send_env.server.wait_for(lambda: len(send_env.server.interviews()) >= 10, timeout=120)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    killed_at = len(send_env.server.interviews())
    send_env.server.set_faults()  # no latency for the rerun
    time.sleep(0.5)  # let requests already on the wire land before the rerun reads the table
    rerun = send_env.spawn(claim_batch_size=batch)
    assert rerun.wait(timeout=300) == 0

    counts = accepted_emails(send_env)
    assert max(counts.values()) == 1  # no contact accepted twice
    rows = send_env.table(f"closed_lost_date = '{SCENARIO_DAY}'")
    by_id = rows.dropna(subset=["interview_request_id"]).set_index("interview_request_id")
    for interview in send_env.server.interviews():
        if interview["interview_request_id"] in by_id.index:
            assert by_id.loc[interview["interview_request_id"], "status"] in ACCEPTED
        else:  # accepted, answer lost with the killed run: recorded as unconfirmed
            email_rows = rows[rows["contact_email"] == interview["contact_email"]]
            assert (email_rows["status"] == "unconfirmed").any()
    unconfirmed = rows[rows["status"] == "unconfirmed"]
    assert 1 <= len(unconfirmed) <= batch
    assert (rows["status"] == "sending").sum() == 0
    assert len(send_env.server.interviews()) > killed_at  # the rerun sent the rest


def test_a_rerun_keeps_one_interview_per_email_per_day_even_without_a_cooldown(
    send_env: SendEnv,
) -> None:
    """On a re-run the day's duplicate_contact rows are re-evaluated; the email is still
    taken by the day's sent row, whatever the cool-down (here none)."""
    no_cooldown = SendPolicy(claim_batch_size=16, contact_cooldown_days=0)
    assert send_env.materialize(send_policy=no_cooldown).success
    duplicates = send_env.table("error_code = 'duplicate_contact'")
    assert len(duplicates) >= 1
    posts = len(send_env.posts())
    assert send_env.materialize(send_policy=no_cooldown).success
    assert len(send_env.posts()) == posts
    assert max(accepted_emails(send_env).values()) == 1
    again = send_env.table("error_code = 'duplicate_contact'")
    assert set(again["contact_id"]) == set(duplicates["contact_id"])
