"""The rule dbt vars a RevOps person edits (min_deal_amount, interviewed_roles,
internal_email_domains, the routing_* vars), set with ``dbt build --vars`` on a generated CRM
and checked against the pandas oracle: each changes the candidates as documented, and values
with quotes or backslashes in them reach the table verbatim (they are quoted, not pasted)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight_pipeline.dbt.assets import _environ
from hindsight_pipeline.warehouse import DuckDBWarehouse
from hindsight_pipeline_tests.dbt.test_candidates import (
    KEY_COLUMNS,
    as_set,
    comparable,
    expected_candidates,
)
from hindsight_pipeline_tests.support import dbt_resource

MIN_DEAL_AMOUNT = 5_000
# Not Technical Evaluator, Influencer or Other; the last one is no role the CRM has (a quote).
INTERVIEWED_ROLES = (
    "Decision Maker",
    "Economic Buyer",
    "Champion",
    "Executive Sponsor",
    "Buyer's Agent",
)
LEFT_OUT_ROLES = ("Technical Evaluator", "Influencer", "Other")
INTERNAL_DOMAINS = ("acme-software.com", "o'reilly-internal.example")
DEFAULT_SEQUENCE = "seq_o'default"  # a quote in a value
SMB_SEQUENCE = "seq_smb\\path"  # a backslash in a value
ENTERPRISE_INTERVIEW_TYPE = "it_enterprise"
VARS = {
    "min_deal_amount": MIN_DEAL_AMOUNT,
    "interviewed_roles": list(INTERVIEWED_ROLES),
    "internal_email_domains": list(INTERNAL_DOMAINS),
    "routing_default_sequence_id": DEFAULT_SEQUENCE,
    "routing_default_interview_type_id": None,
    "routing_by_segment": {
        "Enterprise": {"interview_type_id": ENTERPRISE_INTERVIEW_TYPE},
        "SMB": {"sequence_id": SMB_SEQUENCE},
        "Partner's Own": {"sequence_id": "seq_never_used"},  # a quote in a key
    },
}


def dbt_build(warehouse: DuckDBWarehouse, *args: str) -> tuple[bool, str]:
    """``dbt build`` of the models (not the marts) through the project's DbtCliResource, on
    ``warehouse``: whether it succeeded, and its log."""
    with _environ(warehouse.dbt_env()):
        invocation = dbt_resource().cli(
            ["build", "--exclude", "marts", *args], raise_on_error=False
        )
        log = "\n".join(
            str(event.raw_event.get("info", {}).get("msg", ""))
            for event in invocation.stream_raw_events()
        )
        return invocation.is_successful(), log


@pytest.fixture(scope="module")
def configured(built_warehouse: tuple, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A copy of the shared warehouse, rebuilt with VARS."""
    template, frames = built_warehouse
    path = tmp_path_factory.mktemp("vars") / "warehouse.duckdb"
    shutil.copy(template.database_path, path)
    warehouse = DuckDBWarehouse(path=str(path))
    succeeded, log = dbt_build(warehouse, "--vars", json.dumps(VARS))
    assert succeeded, log
    candidates = warehouse.query_df("select * from hindsight_prep.closed_lost_interview_candidates")
    yield warehouse, frames, candidates


def test_the_candidates_follow_the_configured_rules_row_for_row(configured: tuple) -> None:
    _, frames, candidates = configured
    expected = expected_candidates(
        frames,
        internal_domains=INTERNAL_DOMAINS,
        min_deal_amount=MIN_DEAL_AMOUNT,
        interviewed_roles=INTERVIEWED_ROLES,
    )
    assert len(expected) > 50
    assert as_set(comparable(candidates)) == as_set(expected[KEY_COLUMNS])


def test_min_deal_amount_skips_smaller_deals(configured: tuple, built_warehouse: tuple) -> None:
    _, frames, candidates = configured
    below = candidates[candidates["exclusion_reason"] == "below_minimum_amount"]
    assert len(below) >= 3
    assert (below["amount"].astype(float) < MIN_DEAL_AMOUNT).all()
    # Every candidate below the minimum and not excluded for a weightier reason is skipped;
    # a null amount is not below it.
    small = candidates[candidates["amount"].astype(float) < MIN_DEAL_AMOUNT]
    assert set(small["exclusion_reason"]) <= {
        "below_minimum_amount",
        "opted_out",
        "internal_domain",
    }
    null_amount = candidates[candidates["amount"].isna()]
    assert len(null_amount) >= 1
    assert "below_minimum_amount" not in set(null_amount["exclusion_reason"].dropna())
    # The scenario deals of 0.00 and 1.00 are among them.
    dirt = frames.dirt[frames.dirt["scenario"]]
    for kind in ("amount_zero", "amount_small"):
        deal = dirt.loc[dirt["kind"] == kind, "opportunity_id"].iloc[0]
        assert deal in set(below["opportunity_id"]), kind
    # With the default (0) the rule never fires.
    default, _ = built_warehouse
    reasons = default.query_df(
        "select distinct exclusion_reason from hindsight_prep.closed_lost_interview_candidates"
    )["exclusion_reason"]
    assert "below_minimum_amount" not in set(reasons.dropna())


def test_interviewed_roles_limit_who_is_asked(configured: tuple, built_warehouse: tuple) -> None:
    warehouse, _, candidates = configured
    assert set(candidates["contact_role"]) == set(INTERVIEWED_ROLES[:-1])
    # A deal whose primary contact has another role has nobody to ask.
    default, _ = built_warehouse
    other_roles = default.query_df(
        "select opportunity_id from hindsight_prep.closed_lost_deals "
        f"where primary_contact_role in {LEFT_OUT_ROLES}"
    )["opportunity_id"]
    assert len(other_roles) > 10
    nobody = warehouse.query_df(
        "select opportunity_id from hindsight_prep.closed_lost_deals where primary_contact_id is null"
    )["opportunity_id"]
    assert set(other_roles) <= set(nobody)
    assert not set(other_roles) & set(candidates["opportunity_id"])


def test_internal_domains_are_matched_case_insensitively(configured: tuple) -> None:
    _, _, candidates = configured
    internal = candidates[candidates["exclusion_reason"] == "internal_domain"]
    assert len(internal) >= 1
    domains = internal["contact_email"].str.split("@").str[1].str.strip().str.lower()
    assert set(domains) <= set(INTERNAL_DOMAINS)


def test_routing_follows_the_segment_and_the_default(configured: tuple) -> None:
    _, _, candidates = configured
    routes = {
        (row.segment, row.sequence_id, row.interview_type_id)
        for row in candidates.astype(object).where(candidates.notna(), None).itertuples()
    }
    segments = {segment for segment, _, _ in routes}
    assert {"Enterprise", "SMB", "Mid-Market"} <= segments
    for segment, sequence_id, interview_type_id in routes:
        if segment == "Enterprise":
            # A segment's route replaces the default whole.
            assert (sequence_id, interview_type_id) == (None, ENTERPRISE_INTERVIEW_TYPE)
        elif segment == "SMB":
            assert (sequence_id, interview_type_id) == (SMB_SEQUENCE, None)
        else:
            assert (sequence_id, interview_type_id) == (DEFAULT_SEQUENCE, None), segment


def test_without_routing_vars_the_environment_decides(built_warehouse: tuple) -> None:
    default, _ = built_warehouse
    routed = default.query_df(
        "select count(*) as n, count(sequence_id) as sequences, "
        "count(interview_type_id) as interview_types "
        "from hindsight_prep.closed_lost_interview_candidates"
    ).iloc[0]
    assert routed["n"] > 50 and routed["sequences"] == routed["interview_types"] == 0


def test_a_var_that_is_not_a_number_stops_the_build(built_warehouse: tuple, tmp_path: Path) -> None:
    template, _ = built_warehouse
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(template.database_path, path)
    warehouse = DuckDBWarehouse(path=str(path))
    succeeded, log = dbt_build(
        warehouse,
        "--select",
        "closed_lost_interview_candidates",
        "--vars",
        json.dumps({"min_deal_amount": "5000; drop table crm.accounts"}),
    )
    assert not succeeded
    assert "dbt var min_deal_amount must be a number" in log
    assert warehouse.query_df("select count(*) as n from crm.accounts")["n"].iloc[0] > 0
