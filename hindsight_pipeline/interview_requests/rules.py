"""The Python-side interview rules: pure functions over a partition's candidates.

SQL (dbt) decides what it does well (opted_out, internal_domain, below_minimum_amount, in
``exclusion_reason``). Here: email validity and normalization, the default routing, the
maximum deal age, and one interview per contact email per partition. The contact cool-down
across partitions needs the ledger and is decided at claim time (see ``ledger.claim``).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date

import pandas as pd

from hindsight_pipeline.hindsight_api import InvalidRequestError, normalize_email
from hindsight_pipeline.interview_requests.schema import Status


class SkipReason:
    MISSING_EMAIL = "missing_email"
    INVALID_EMAIL = "invalid_email"
    DUPLICATE_CONTACT = "duplicate_contact"
    CONTACT_COOLDOWN = "contact_cooldown"
    NO_ROUTING = "no_routing"
    DEAL_TOO_OLD = "deal_too_old"
    INVALID_PAYLOAD = "invalid_payload"
    NO_LONGER_A_CANDIDATE = "no_longer_a_candidate"


@dataclass(frozen=True)
class RoutingDefaults:
    """The environment's routing where the dbt model gives none (HINDSIGHT_SEQUENCE_ID / ...)."""

    sequence_id: str | None = None
    interview_type_id: str | None = None


def email_verdict(raw: object) -> tuple[str | None, str | None]:
    """(normalized email, None) or (None, missing_email | invalid_email)."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw is pd.NA:
        return None, SkipReason.MISSING_EMAIL
    try:
        return normalize_email(str(raw)), None
    except InvalidRequestError as exc:
        return None, exc.reason


def apply_rules(
    candidates: pd.DataFrame,
    routing: RoutingDefaults,
    *,
    today: date,
    max_deal_age_days: int | None = None,
    taken_emails: AbstractSet[str] = frozenset(),
) -> pd.DataFrame:
    """Candidates with ``email`` (normalized), routing filled in and ``skip_reason`` set.

    The first reason that applies wins, in this order: the SQL exclusion, a missing or
    invalid email, no routing, a deal older than ``max_deal_age_days`` (unless its row is
    ``pending_retry``, per ``ledger_status`` where given), and a contact email
    already taken by an earlier row of the same partition (the first by deal id keeps it) or
    by a row of it sent, or maybe sent, in an earlier run (``taken_emails``).
    """
    rows = candidates.copy()
    verdicts = [email_verdict(raw) for raw in rows["contact_email"].tolist()]
    rows["email"] = [email for email, _ in verdicts]
    email_reason = pd.Series([reason for _, reason in verdicts], index=rows.index, dtype=object)

    rows["sequence_id"] = _filled(rows["sequence_id"], routing.sequence_id)
    rows["interview_type_id"] = _filled(rows["interview_type_id"], routing.interview_type_id)
    no_routing = rows["sequence_id"].isna() & rows["interview_type_id"].isna()

    too_old = pd.Series(False, index=rows.index)
    if max_deal_age_days is not None:
        age = pd.to_datetime(today) - pd.to_datetime(rows["closed_lost_date"])
        # The age limit is for first sends: a pending_retry row is retried whatever its age.
        retrying = (
            rows.get("ledger_status", pd.Series(None, index=rows.index)) == Status.PENDING_RETRY
        )
        too_old = (age.dt.days > max_deal_age_days) & ~retrying

    reason = rows["exclusion_reason"].astype(object).where(rows["exclusion_reason"].notna(), None)
    reason = reason.where(reason.notna(), email_reason)
    reason = reason.where(reason.notna() | ~no_routing, SkipReason.NO_ROUTING)
    reason = reason.where(reason.notna() | ~too_old, SkipReason.DEAL_TOO_OLD)

    # One interview per contact email per partition, decided only among rows still eligible.
    order = rows.assign(_eligible=reason.isna()).sort_values(["opportunity_id", "contact_id"])
    eligible = order[order["_eligible"]]
    duplicates = eligible.index[
        eligible.duplicated(subset="email", keep="first") | eligible["email"].isin(taken_emails)
    ]
    reason.loc[duplicates] = SkipReason.DUPLICATE_CONTACT

    rows["skip_reason"] = reason.astype(object).where(reason.notna(), None)
    return rows


def _filled(column: pd.Series, default: str | None) -> pd.Series:
    values = column.astype(object).where(column.notna() & (column.astype(str) != ""), None)
    return values if default is None else values.where(values.notna(), default)
