"""Building each interview request from a candidate row: pure functions, no I/O.

contact_context OVERWRITES the contact's notes in Hindsight, so it is always built whole from
the row. It carries the CRM reference ids so a person can find an ``unconfirmed`` request in
Hindsight's UI. The objective's wording comes from a YAML file users edit (templates.yaml).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hindsight_pipeline.hindsight_api import CreateInterviewRequest

DEFAULT_TEMPLATES_FILE = Path(__file__).with_name("templates.yaml")
ELLIPSIS = "…"


@dataclass(frozen=True)
class ObjectiveRule:
    name: str
    template: str
    has: tuple[str, ...] = ()
    loss_reason_in: tuple[str, ...] = ()

    def applies(self, values: Mapping[str, str | None]) -> bool:
        if any(not values.get(name) for name in self.has):
            return False
        if self.loss_reason_in:
            reason = (values.get("loss_reason") or "").strip().lower()
            return reason in self.loss_reason_in
        return True


@dataclass(frozen=True)
class Templates:
    objective_rules: tuple[ObjectiveRule, ...]
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    max_free_text_chars: int = 2000

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Templates:
        rules = tuple(
            ObjectiveRule(
                name=str(rule["name"]),
                template=" ".join(str(rule["template"]).split()),
                has=tuple(rule.get("has") or ()),
                loss_reason_in=tuple(str(r).lower() for r in rule.get("loss_reason_in") or ()),
            )
            for rule in raw["objective_rules"]
        )
        if not rules or rules[-1].has or rules[-1].loss_reason_in:
            raise ValueError("templates: the last objective rule must be unconditional")
        return cls(
            objective_rules=rules,
            fallbacks={k: str(v) for k, v in (raw.get("fallbacks") or {}).items()},
            max_free_text_chars=int(raw.get("max_free_text_chars", 2000)),
        )


def templates_path() -> Path:
    return Path(os.environ.get("HINDSIGHT_TEMPLATES_FILE") or DEFAULT_TEMPLATES_FILE)


@lru_cache(maxsize=8)
def load_templates(path: Path | None = None) -> Templates:
    with open(path or templates_path(), encoding="utf-8") as handle:
        return Templates.from_mapping(yaml.safe_load(handle))


def text(value: Any) -> str | None:
    """A clean, non-empty string, or None for null, NaN and blank values."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    result = str(value).strip()
    return result or None


def trimmed(value: Any, limit: int) -> str | None:
    result = text(value)
    if result is None or len(result) <= limit:
        return result
    return result[: limit - 1].rstrip() + ELLIPSIS


def contact_name(first_name: Any, last_name: Any) -> str | None:
    parts = [part for part in (text(first_name), text(last_name)) if part]
    return " ".join(parts) or None


def _number(value: Any) -> int | float | None:
    if value is None or text(value) is None:
        return None
    number = float(value) if isinstance(value, (Decimal, str)) else value
    try:
        number = float(number)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return int(number) if number.is_integer() else round(number, 2)


def _iso(value: Any) -> str | None:
    if text(value) is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return str(value)[:10]


def build_contact_context(row: Mapping[str, Any], templates: Templates) -> dict[str, Any]:
    """The deal, account and contact attributes Paige should know; empty values left out."""
    limit = templates.max_free_text_chars
    context: dict[str, Any] = {
        "title": text(row.get("title")),
        "role_on_deal": text(row.get("contact_role")),
        "company": text(row.get("account_name")),
        "industry": text(row.get("industry")),
        "company_size_employees": _number(row.get("employee_count")),
        "segment": text(row.get("segment")),
        "region": text(row.get("region")),
        "country": text(row.get("billing_country")),
        "deal_name": trimmed(row.get("opportunity_name"), 200),
        "deal_amount": _number(row.get("amount")),
        "deal_currency": text(row.get("currency_code")),
        "deal_type": text(row.get("opportunity_type")),
        "product_line": text(row.get("product_line")),
        "competitor": text(row.get("primary_competitor")),
        "loss_reason": text(row.get("loss_reason")),
        "loss_reason_detail": trimmed(row.get("loss_reason_detail"), limit),
        "sales_cycle_days": _number(row.get("sales_cycle_days")),
        "closed_lost_date": _iso(row.get("closed_lost_date")),
        "deal_owner": text(row.get("owner_name")),
        "crm_opportunity_id": text(row.get("opportunity_id")),
        "crm_contact_id": text(row.get("contact_id")),
        "crm_account_id": text(row.get("account_id")),
    }
    return {key: value for key, value in context.items() if value is not None}


def build_objective(row: Mapping[str, Any], templates: Templates) -> str:
    values = {
        "account_name": text(row.get("account_name")),
        "competitor": text(row.get("primary_competitor")),
        "product": text(row.get("product_line")),
        "loss_reason": text(row.get("loss_reason")),
        "deal_name": text(row.get("opportunity_name")),
        "segment": text(row.get("segment")),
        "region": text(row.get("region")),
        "deal_type": text(row.get("opportunity_type")),
    }
    rule = next(rule for rule in templates.objective_rules if rule.applies(values))
    filled = {k: v if v is not None else templates.fallbacks.get(k, "") for k, v in values.items()}
    return trimmed(rule.template.format(**filled), 1000) or ""


def build_request(row: Mapping[str, Any], templates: Templates) -> CreateInterviewRequest:
    """The POST /interviews request for one eligible candidate (``row["email"]`` normalized).

    deal_id is sent only where a Hindsight deal id is known. Raises InvalidRequestError
    (naming the field) where the row cannot make a valid request.
    """
    return CreateInterviewRequest.create(
        contact_email=row["email"],
        sequence_id=text(row.get("sequence_id")),
        interview_type_id=text(row.get("interview_type_id")),
        contact_name=trimmed(contact_name(row.get("first_name"), row.get("last_name")), 200),
        contact_context=build_contact_context(row, templates),
        deal_id=text(row.get("hindsight_deal_id")),
        objective=build_objective(row, templates),
    )
