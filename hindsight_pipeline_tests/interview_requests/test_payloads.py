"""Payload building: pure functions over one candidate row."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hindsight_pipeline.hindsight_api import InvalidRequestError
from hindsight_pipeline.interview_requests.payloads import (
    ELLIPSIS,
    build_contact_context,
    build_objective,
    build_request,
    load_templates,
)

TEMPLATES = load_templates()


def row(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "opportunity_id": "006A", "contact_id": "003B", "account_id": "001C",
        "email": "dana.lee@example.com", "first_name": " Dana ", "last_name": "Lee",
        "title": "VP Operations", "contact_role": "Decision Maker", "account_name": "Acme Freight",
        "industry": "Logistics", "employee_count": 420, "segment": "Mid-Market", "region": "EMEA",
        "billing_country": "DE", "opportunity_name": "Acme Freight - Core", "amount": Decimal("48000.00"),
        "currency_code": "EUR", "opportunity_type": "New Business", "product_line": "Core Platform",
        "primary_competitor": "Clari", "loss_reason": "Price", "loss_reason_detail": "Too expensive.",
        "sales_cycle_days": 63, "closed_lost_date": date(2026, 11, 2), "owner_name": "Sam Ortiz",
        "hindsight_deal_id": None, "sequence_id": "seq_winloss_default", "interview_type_id": None,
    }  # fmt: skip
    return base | overrides


def test_context_carries_the_deal_account_contact_and_crm_ids() -> None:
    context = build_contact_context(row(), TEMPLATES)
    assert context == {
        "title": "VP Operations", "role_on_deal": "Decision Maker", "company": "Acme Freight",
        "industry": "Logistics", "company_size_employees": 420, "segment": "Mid-Market",
        "region": "EMEA", "country": "DE", "deal_name": "Acme Freight - Core", "deal_amount": 48000,
        "deal_currency": "EUR", "deal_type": "New Business", "product_line": "Core Platform",
        "competitor": "Clari", "loss_reason": "Price", "loss_reason_detail": "Too expensive.",
        "sales_cycle_days": 63, "closed_lost_date": "2026-11-02", "deal_owner": "Sam Ortiz",
        "crm_opportunity_id": "006A", "crm_contact_id": "003B", "crm_account_id": "001C",
    }  # fmt: skip
    json.dumps(context)  # serializable as is


def test_empty_values_are_left_out_and_free_text_is_bounded() -> None:
    context = build_contact_context(
        row(title="  ", industry=None, amount=float("nan"), loss_reason_detail="x" * 5000),
        TEMPLATES,
    )
    assert {"title", "industry", "deal_amount"}.isdisjoint(context)
    detail = context["loss_reason_detail"]
    assert len(detail) == TEMPLATES.max_free_text_chars and detail.endswith(ELLIPSIS)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "Understand why Acme Freight chose Clari over our Core Platform on price"),
        (
            {"loss_reason": "Features"},
            "Understand why Acme Freight chose Clari over our Core Platform: what Clari",
        ),
        (
            {"primary_competitor": None, "loss_reason": "No Decision"},
            "decided not to go ahead with any solution",
        ),
        (
            {"primary_competitor": None, "loss_reason": "Security review"},
            "(recorded reason: Security review)",
        ),
        (
            {"primary_competitor": None, "loss_reason": None, "account_name": None},
            "Understand why your company did not buy our Core Platform",
        ),
    ],
)
def test_the_objective_reads_differently_by_loss_reason_and_competitor(
    overrides: dict[str, object], expected: str
) -> None:
    assert expected in build_objective(row(**overrides), TEMPLATES)


def test_users_change_the_wording_without_python(tmp_path: Path) -> None:
    custom = tmp_path / "templates.yaml"
    custom.write_text(
        "objective_rules:\n  - name: default\n    template: Ask {account_name} about {product}.\n"
    )
    assert build_objective(row(), load_templates(custom)) == "Ask Acme Freight about Core Platform."


def test_the_request_sends_a_deal_id_only_where_one_is_known() -> None:
    without = build_request(row(), TEMPLATES)
    assert without.deal_id is None and without.contact_name == "Dana Lee"
    assert without.sequence_id == "seq_winloss_default" and without.interview_type_id is None
    assert build_request(row(hindsight_deal_id="deal_123"), TEMPLATES).deal_id == "deal_123"


def test_a_row_the_client_refuses_names_the_field() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        build_request(row(sequence_id=None), TEMPLATES)
    assert "sequence_id" in str(refused.value) or "interview_type_id" in str(refused.value)
    cleaned = build_request(row(title="VP\x00 Ops\x1b", first_name="Zoë\u0007"), TEMPLATES)
    assert cleaned.contact_name == "Zoë Lee"
    assert "\x00" not in json.dumps(cleaned.contact_context)
