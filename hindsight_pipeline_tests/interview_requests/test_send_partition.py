"""One partition through Dagster against DuckDB and the local Hindsight server over HTTP."""

from __future__ import annotations

import json

import pandas as pd

from hindsight_pipeline_tests.interview_requests.conftest import SCENARIO_DAY, SendEnv


def test_every_eligible_candidate_gets_exactly_one_request(send_env: SendEnv) -> None:
    result = send_env.materialize()
    assert result.success
    rows = send_env.table(f"closed_lost_date = '{SCENARIO_DAY}'")
    candidates = send_env.warehouse.query_df(
        "select * from hindsight_prep.closed_lost_interview_candidates where closed_lost_date = ?",
        [SCENARIO_DAY],
    )
    assert len(rows) == len(candidates) > 40  # one row per candidate, none lost
    posts = send_env.posts()
    sent = rows[rows["status"].isin(["sent", "created"])]
    assert len(sent) > 20
    # Exactly one request per sent row (no deal_id retries in this partition's clean rows).
    by_email: dict[str, list[dict]] = {}
    for post in posts:
        by_email.setdefault(post["body"]["contact_email"], []).append(post)
    interviews = {i["interview_request_id"]: i for i in send_env.server.interviews()}
    for row in sent.itertuples():
        assert row.interview_request_id in interviews
        recorded = interviews[int(row.interview_request_id)]
        assert recorded["contact_email"] == row.contact_email
        assert row.status == recorded["status"]
    assert len(interviews) == len(sent)
    # Payloads are built from each row's own deal.
    candidates = candidates.set_index("opportunity_id")
    for row in sent.itertuples():
        body = [p for p in by_email[row.contact_email] if p["status"] == 201][-1]["body"]
        deal = candidates.loc[row.deal_id]
        context = body["contact_context"]
        assert context["crm_opportunity_id"] == row.deal_id
        assert context["crm_contact_id"] == row.contact_id
        if pd.notna(deal["account_name"]):
            assert context["company"] == deal["account_name"].strip()
        assert body["sequence_id"] == "seq_winloss_default"
        assert body["objective"] == row.objective
    # Skipped rows carry their reason and never reached the server.
    skipped = rows[rows["status"] == "skipped"]
    assert skipped["error_code"].notna().all()
    assert {"opted_out", "internal_domain", "missing_email", "invalid_email"} <= set(
        skipped["error_code"]
    )
    by_rule = skipped[skipped["error_code"].isin(["opted_out", "internal_domain"])]
    assert not set(by_email) & set(by_rule["contact_email"].dropna())
    # A contact on two deals of the day is interviewed once.
    duplicates = skipped[skipped["error_code"] == "duplicate_contact"]
    assert len(duplicates) >= 1
    for email in duplicates["contact_email"]:
        assert len([p for p in by_email[email] if p["status"] == 201]) == 1
    metadata = result.asset_materializations_for_node("hindsight__interview_requests")[0].metadata
    assert metadata["no_primary_contact"].value >= 3
    assert metadata["requests_sent"].value == len(posts)
    assert "tok_" not in json.dumps({k: str(v.value) for k, v in metadata.items()})
