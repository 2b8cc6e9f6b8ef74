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


# contact_context: each key, the candidate column it is read from, and how it is read.
CONTEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("title", "title", "text"),
    ("role_on_deal", "contact_role", "text"),
    ("company", "account_name", "text"),
    ("industry", "industry", "text"),
    ("company_size_employees", "employee_count", "number"),
    ("segment", "segment", "text"),
    ("region", "region", "text"),
    ("country", "billing_country", "text"),
    ("deal_name", "opportunity_name", "name"),
    ("deal_amount", "amount", "number"),
    ("deal_currency", "currency_code", "text"),
    ("deal_type", "opportunity_type", "text"),
    ("product_line", "product_line", "text"),
    ("competitor", "primary_competitor", "text"),
    ("loss_reason", "loss_reason", "text"),
    ("loss_reason_detail", "loss_reason_detail", "free_text"),
    ("sales_cycle_days", "sales_cycle_days", "number"),
    ("closed_lost_date", "closed_lost_date", "date"),
    ("deal_owner", "owner_name", "text"),
    ("crm_opportunity_id", "opportunity_id", "text"),
    ("crm_contact_id", "contact_id", "text"),
    ("crm_account_id", "account_id", "text"),
)
# The objective templates' placeholders and the candidate columns they are filled from.
OBJECTIVE_FIELDS: Mapping[str, str] = {
    "account_name": "account_name",
    "competitor": "primary_competitor",
    "product": "product_line",
    "loss_reason": "loss_reason",
    "deal_name": "opportunity_name",
    "segment": "segment",
    "region": "region",
    "deal_type": "opportunity_type",
}
NAME_MAX_CHARS = 200
OBJECTIVE_MAX_CHARS = 1000


def build_contact_context(row: Mapping[str, Any], templates: Templates) -> dict[str, Any]:
    """The deal, account and contact attributes Paige should know; empty values left out."""
    readers: dict[str, Any] = {
        "text": text,
        "number": _number,
        "date": _iso,
        "name": lambda value: trimmed(value, NAME_MAX_CHARS),
        "free_text": lambda value: trimmed(value, templates.max_free_text_chars),
    }
    context = {key: readers[kind](row.get(column)) for key, column, kind in CONTEXT_FIELDS}
    return {key: value for key, value in context.items() if value is not None}


def build_objective(row: Mapping[str, Any], templates: Templates) -> str:
    values = {name: text(row.get(column)) for name, column in OBJECTIVE_FIELDS.items()}
    rule = next(rule for rule in templates.objective_rules if rule.applies(values))
    filled = {k: v if v is not None else templates.fallbacks.get(k, "") for k, v in values.items()}
    return trimmed(rule.template.format(**filled), OBJECTIVE_MAX_CHARS) or ""


def build_request(row: Mapping[str, Any], templates: Templates) -> CreateInterviewRequest:
    """The POST /interviews request for one eligible candidate (``row["email"]`` normalized).

    deal_id is sent only where a Hindsight deal id is known. Raises InvalidRequestError
    (naming the field) where the row cannot make a valid request.
    """
    return CreateInterviewRequest.create(
        contact_email=row["email"],
        sequence_id=text(row.get("sequence_id")),
        interview_type_id=text(row.get("interview_type_id")),
        contact_name=trimmed(
            contact_name(row.get("first_name"), row.get("last_name")), NAME_MAX_CHARS
        ),
        contact_context=build_contact_context(row, templates),
        deal_id=text(row.get("hindsight_deal_id")),
        objective=build_objective(row, templates),
    )
