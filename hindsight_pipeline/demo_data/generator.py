"""Deterministic, vectorized demo CRM data: `generate_crm(config) -> CrmFrames`.

Steps, each over whole numpy arrays (no Python loop over rows):
1. accounts, 2. contacts per account, 3. opportunities on accounts, 4. contact roles —
all clean; then 5. the hand-built scenario rows (scenarios.py) are made dirty one kind
each, 6. bulk dirt at the configured rates (dirt.py), 7. sync duplicates are appended and
the frames get their final dtypes (frames.py), then the scenarios' disagreeing copies.

Row order is fixed: scenario contacts and scenario opportunities come first (index 0..),
then the bulk; ids are the index in base 36, so id order is generation order. Every random
draw comes from a named child stream of the seed, so one step's draws do not shift
another's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from hindsight_pipeline.demo_data import vocab as v
from hindsight_pipeline.demo_data.columns import (
    MICROS_PER_DAY,
    Ints,
    Table,
    choose,
    choose_by_row,
    concat,
    day_number,
    int_strings,
    rank_within_groups,
)
from hindsight_pipeline.demo_data.columns import (
    vocab as vocab_array,
)
from hindsight_pipeline.demo_data.config import DemoDataConfig
from hindsight_pipeline.demo_data.dirt import (
    DirtLog,
    append_duplicate_rows,
    dirty_contacts,
    dirty_opportunities,
)
from hindsight_pipeline.demo_data.frames import (
    CRM_COLUMNS,
    DATE_DTYPE,
    STRING_DTYPE,
    CrmFrames,
    crm_table_ddl,
)
from hindsight_pipeline.demo_data.hindsight import hindsight_deal_ids, hindsight_deals
from hindsight_pipeline.demo_data.ids import (
    ACCOUNT_PREFIX,
    CONTACT_PREFIX,
    OPPORTUNITY_PREFIX,
    salesforce_ids,
)
from hindsight_pipeline.demo_data.scenarios import (
    ScenarioPlan,
    append_conflicting_copies,
    apply_scenarios,
    plan_scenarios,
)

LOST, WON, OPEN = 0, 1, 2
STAGES = (v.CLOSED_LOST, v.CLOSED_WON, *v.OPEN_STAGES)

# Vocabularies as arrays (code -1 -> None).
FIRST_DISPLAY = vocab_array([name for name, _ in v.FIRST_NAMES])
FIRST_ASCII = vocab_array([ascii_ for _, ascii_ in v.FIRST_NAMES])
LAST_DISPLAY = vocab_array([name for name, _ in v.LAST_NAMES])
LAST_ASCII = vocab_array([ascii_ for _, ascii_ in v.LAST_NAMES])
FIRST_ASCII_CODE = np.unique(FIRST_ASCII[:-1].astype(str), return_inverse=True)[1].astype(np.int64)
LAST_ASCII_CODE = np.unique(LAST_ASCII[:-1].astype(str), return_inverse=True)[1].astype(np.int64)
TITLE_NAMES = vocab_array([title for title, _ in v.TITLES])
TITLE_CATEGORY = np.array([v.ROLE_CATEGORIES.index(c) for _, c in v.TITLES], dtype=np.int64)
ROLE_NAMES = vocab_array(v.CONTACT_ROLES)
STAGE_NAMES = vocab_array(STAGES)
TYPE_NAMES = vocab_array(v.OPPORTUNITY_TYPES)
PRODUCT_NAMES = vocab_array(v.PRODUCT_LINES)
COMPETITOR_NAMES = vocab_array(v.COMPETITORS)
REASON_NAMES = vocab_array(v.LOSS_REASONS)
REGION_NAMES = vocab_array(v.REGIONS)
SEGMENT_NAMES = vocab_array(v.SEGMENTS)
INDUSTRIES = tuple(v.INDUSTRY_MEDIAN_EMPLOYEES)
INDUSTRY_NAMES = vocab_array(INDUSTRIES)
COUNTRY_NAMES = vocab_array([c[0] for c in v.COUNTRIES])
COUNTRY_REGION = np.array([v.REGIONS.index(c[1]) for c in v.COUNTRIES], dtype=np.int64)
COUNTRY_CURRENCY = vocab_array([c[2] for c in v.COUNTRIES])
COUNTRY_TLD = vocab_array([c[3] for c in v.COUNTRIES])
COUNTRY_LEGAL = vocab_array([c[4] for c in v.COUNTRIES])
OWNER_NAMES = vocab_array([name for region in v.REGIONS for name in v.OWNERS_BY_REGION[region]])
OWNER_OFFSET = np.cumsum([0] + [len(v.OWNERS_BY_REGION[r]) for r in v.REGIONS])[:-1]
OWNER_COUNT = np.array([len(v.OWNERS_BY_REGION[r]) for r in v.REGIONS], dtype=np.int64)

_STREAMS = (
    "accounts",
    "contacts",
    "opportunities",
    "roles",
    "scenarios",
    "contact_dirt",
    "opportunity_dirt",
    "duplicates",
)


def generate_crm(config: DemoDataConfig) -> CrmFrames:
    """The four raw CRM tables for `config`; the same config always gives the same frames."""
    children = np.random.SeedSequence(config.seed).spawn(len(_STREAMS))
    rng = {
        name: np.random.default_rng(child) for name, child in zip(_STREAMS, children, strict=True)
    }

    n_opportunities = config.total_opportunities
    account_count = max(1, math.ceil(n_opportunities / config.deals_per_account))
    accounts = _accounts(account_count, rng["accounts"])
    plan = plan_scenarios(config, account_count, rng["scenarios"], FIRST_DISPLAY, LAST_DISPLAY)
    if n_opportunities < plan.deal_count:
        raise ValueError(
            f"{n_opportunities} opportunities cannot hold the {plan.deal_count} scenario deals; "
            "generate more (or set include_scenarios=False)"
        )
    contacts = _contacts(accounts, plan, rng["contacts"])
    opportunities = _opportunities(config, accounts, plan, rng["opportunities"])
    roles = _roles(opportunities, contacts, plan, config, rng["roles"])

    roles, dirt = apply_scenarios(plan, config, accounts, contacts, opportunities, roles)
    _log_role_dirt(roles, dirt)
    dirty_contacts(config, accounts, contacts, plan.contact_count, rng["contact_dirt"], dirt)
    dirty_opportunities(config, opportunities, plan.deal_count, rng["opportunity_dirt"], dirt)

    account_ids = salesforce_ids(np.arange(account_count), ACCOUNT_PREFIX)
    contact_ids = salesforce_ids(np.arange(contacts["_account"].size), CONTACT_PREFIX)
    opportunity_ids = salesforce_ids(np.arange(n_opportunities), OPPORTUNITY_PREFIX)
    accounts["account_id"] = account_ids
    contacts["contact_id"] = contact_ids
    contacts["account_id"] = account_ids.take(pa.array(contacts["_account"]))
    opportunities["opportunity_id"] = opportunity_ids
    opportunities["account_id"] = account_ids.take(pa.array(opportunities["_account"]))
    roles["opportunity_id"] = opportunity_ids.take(pa.array(roles["_opportunity"]))
    roles["contact_id"] = contact_ids.take(pa.array(roles["_contact"]))

    frames = {
        name: _frame(table, name)
        for name, table in (
            ("accounts", accounts),
            ("contacts", contacts),
            ("opportunities", opportunities),
            ("opportunity_contact_roles", roles),
        )
    }
    frames["contacts"], frames["opportunities"] = append_duplicate_rows(
        config,
        frames["contacts"],
        frames["opportunities"],
        first_contact=plan.contact_count,
        first_deal=plan.deal_count,
        forced_contacts=plan.contacts_of("contact_duplicate_row"),
        forced_opportunities=plan.deals_of("opportunity_duplicate_row"),
        rng=rng["duplicates"],
        dirt=dirt,
    )
    frames["contacts"], frames["opportunities"] = append_conflicting_copies(
        plan, frames["contacts"], frames["opportunities"]
    )
    return CrmFrames(
        accounts=frames["accounts"],
        contacts=frames["contacts"],
        opportunities=frames["opportunities"],
        opportunity_contact_roles=frames["opportunity_contact_roles"],
        dirt=dirt.frame(opportunity_ids, contact_ids),
    )


# --- 1. accounts ------------------------------------------------------------------------


def _coprime_multiplier(size: int, rng: np.random.Generator) -> int:
    """A multiplier a with gcd(a, size) == 1, so i -> (a*i + b) % size is a permutation."""
    a = int(rng.integers(size // 3 + 1, size)) if size > 2 else 1
    while math.gcd(a, size) != 1:
        a += 1
    return a


def _accounts(count: int, rng: np.random.Generator) -> Table:
    """Accounts with unique names: "<prefix> <core>" first, then "<adjective> <prefix> <core>".

    Name combinations are walked in a seeded permutation so neighbouring accounts do not
    share words; past the whole space a number is appended (" 2"), so names and the email
    domains made from them stay unique at any scale.
    """
    adjectives = vocab_array(v.COMPANY_ADJECTIVES)
    prefixes = vocab_array(v.COMPANY_PREFIXES)
    cores = vocab_array([core for core, _ in v.COMPANY_CORES])
    slug = np.vectorize(v.ascii_slug, otypes=[object])
    adjective_slugs, prefix_slugs, core_slugs = (
        slug(adjectives[:-1]),
        slug(prefixes[:-1]),
        slug(cores[:-1]),
    )
    core_industry = np.array([INDUSTRIES.index(ind) for _, ind in v.COMPANY_CORES], dtype=np.int64)

    n_pre, n_core, n_adj = len(v.COMPANY_PREFIXES), len(v.COMPANY_CORES), len(v.COMPANY_ADJECTIVES)
    two_words = n_pre * n_core
    three_words = n_adj * two_words
    index = np.arange(count, dtype=np.int64)
    cycle, position = np.divmod(index, two_words + three_words)
    is_two = position < two_words
    a2, a3 = _coprime_multiplier(two_words, rng), _coprime_multiplier(three_words, rng)
    b2, b3 = int(rng.integers(two_words)), int(rng.integers(three_words))
    combo = np.where(
        is_two,
        (a2 * position + b2) % two_words,
        (a3 * (position - two_words) + b3) % three_words,
    )
    adjective = np.where(is_two, -1, combo // two_words)
    prefix = (combo % two_words) // n_core
    core = combo % n_core

    suffix = np.full(count, "", dtype=object)
    has_cycle = cycle > 0
    suffix[has_cycle] = int_strings(cycle[has_cycle] + 1)
    adjective_words = np.where(is_two, "", concat(adjectives[np.maximum(adjective, 0)], " "))
    short_name = concat(adjective_words, prefixes[prefix], " ", cores[core])
    short_name[has_cycle] = concat(short_name[has_cycle], " ", suffix[has_cycle])
    domain_stem = concat(
        np.where(is_two, "", adjective_slugs[np.maximum(adjective, 0)]),
        prefix_slugs[prefix],
        core_slugs[core],
        suffix,
    )

    country = choose(rng, [c[5] for c in v.COUNTRIES], count)
    industry = core_industry[core]
    median_employees = np.array([v.INDUSTRY_MEDIAN_EMPLOYEES[i] for i in INDUSTRIES])[industry]
    median_employees = median_employees * np.array([c[6] for c in v.COUNTRIES])[country]
    employees = np.clip(np.rint(median_employees * rng.lognormal(0.0, 1.3, count)), 2, 400_000)
    segment = np.searchsorted(np.asarray(v.SEGMENT_EMPLOYEE_BOUNDS), employees, side="right")
    revenue_per_employee = np.array([v.INDUSTRY_REVENUE_PER_EMPLOYEE[i] for i in INDUSTRIES])
    # Reported revenue is a round figure (thousands).
    revenue = np.round(
        employees * revenue_per_employee[industry] * rng.lognormal(0, 0.4, count), -3
    )

    with_legal = rng.random(count) < 0.5
    account_name = short_name.copy()
    account_name[with_legal] = concat(
        short_name[with_legal], " ", COUNTRY_LEGAL[country[with_legal]]
    )
    # Non-US companies mostly use their country's top-level domain.
    local_tld = (rng.random(count) < 0.6) | (country == 0)
    tld = np.where(local_tld, COUNTRY_TLD[country], ".com")
    return {
        "account_name": account_name,
        "industry": INDUSTRY_NAMES[industry],
        "employee_count": employees.astype(np.int32),
        "annual_revenue": revenue,
        "billing_country": COUNTRY_NAMES[country],
        "segment": SEGMENT_NAMES[segment],
        "_short_name": short_name,
        "_domain": concat(domain_stem, tld),
        "_domain_stem": domain_stem,
        "_segment": segment.astype(np.int64),
        "_country": country,
        "_deal_weight": np.asarray(v.SEGMENT_DEAL_WEIGHT)[segment] * rng.lognormal(0, 0.5, count),
    }


# --- 2. contacts ------------------------------------------------------------------------


def _name_weights(names: tuple[tuple[str, str], ...]) -> list[float]:
    # Names with letters beyond ASCII are common enough to show up, not to dominate.
    return [1.0 if display.isascii() else 0.3 for display, _ in names]


def _contacts(accounts: Table, plan: ScenarioPlan, rng: np.random.Generator) -> Table:
    """Scenario contacts (plan.contact_count) first, then 1+ contacts for every account.

    Email is first.last@<account domain>; a second person with the same name at the same
    account gets first.last2@, so distinct contacts have distinct emails unless dirt says
    otherwise.
    """
    mean_contacts = np.asarray(v.SEGMENT_MEAN_CONTACTS)[accounts["_segment"]]
    per_account = np.clip(1 + rng.poisson(mean_contacts - 1), 1, 40).astype(np.int64)
    account_count = per_account.size
    regular_account = np.repeat(np.arange(account_count, dtype=np.int64), per_account)
    n_regular = regular_account.size

    account = np.concatenate([plan.contact_account, regular_account])
    first = np.concatenate(
        [plan.contact_first, choose(rng, _name_weights(v.FIRST_NAMES), n_regular)]
    )
    last = np.concatenate([plan.contact_last, choose(rng, _name_weights(v.LAST_NAMES), n_regular)])
    title = np.concatenate([plan.contact_title, choose(rng, v.TITLE_WEIGHTS, n_regular)])
    # By the ASCII form: "Wang" and "王" share wang@.
    n_first, n_last = FIRST_ASCII_CODE.max() + 1, LAST_ASCII_CODE.max() + 1
    same_name_rank = rank_within_groups(
        (account * n_first + FIRST_ASCII_CODE[first]) * n_last + LAST_ASCII_CODE[last]
    )
    local = concat(FIRST_ASCII[first], ".", LAST_ASCII[last])
    again = same_name_rank > 0
    local[again] = concat(local[again], int_strings(same_name_rank[again] + 1))

    total = account.size
    return {
        "email": concat(local, "@", accounts["_domain"][account]),
        "first_name": FIRST_DISPLAY[first],
        "last_name": LAST_DISPLAY[last],
        "title": TITLE_NAMES[title],
        "email_opt_out": np.zeros(total, dtype=bool),
        "is_deleted": np.zeros(total, dtype=bool),
        "_account": account,
        "_first": first,
        "_last": last,
        "_title": title,
        "_local": local,
        # Where each account's regular contacts start (global index) and how many it has.
        "_account_first_contact": plan.contact_count + np.cumsum(per_account) - per_account,
        "_account_contact_count": per_account,
    }


# --- 3. opportunities -------------------------------------------------------------------


def _opportunities(
    config: DemoDataConfig, accounts: Table, plan: ScenarioPlan, rng: np.random.Generator
) -> Table:
    n = config.total_opportunities
    k = plan.deal_count
    start, end = day_number(config.start_date), day_number(config.end_date)
    days = config.day_count

    draw = rng.random(n)
    lost_share, won_share = config.closed_lost_share, config.closed_won_share
    status = np.where(draw < lost_share, LOST, np.where(draw < lost_share + won_share, WON, OPEN))
    status[:k] = LOST
    weights = accounts["_deal_weight"]
    account = rng.choice(weights.size, size=n, p=weights / weights.sum()).astype(np.int64)
    account[:k] = plan.deal_account
    segment = accounts["_segment"][account]
    closed = status != OPEN

    close = np.where(closed, start + rng.integers(0, days, n), end + rng.integers(1, 181, n))
    close[:k] = plan.deal_day
    cycle = np.clip(
        np.rint(np.asarray(v.SEGMENT_MEDIAN_CYCLE_DAYS)[segment] * rng.lognormal(0, 0.6, n)), 1, 720
    ).astype(np.int64)
    created = np.where(closed, close - cycle, start + rng.integers(0, days, n))
    # Closed deals entered their stage on the close date; open ones somewhere between
    # creation and the end of the range. Any time of day (UTC).
    open_stage_day = created + np.floor(rng.random(n) * (end - created + 1)).astype(np.int64)
    stage_day = np.where(closed, close, open_stage_day)
    stage_changed_at = stage_day * MICROS_PER_DAY + rng.integers(0, MICROS_PER_DAY, n)

    open_stage = 2 + choose(rng, v.OPEN_STAGE_WEIGHTS, n)
    stage = np.where(status == LOST, 0, np.where(status == WON, 1, open_stage))
    opportunity_type = choose(rng, v.OPPORTUNITY_TYPE_WEIGHTS, n)
    product = choose(rng, v.PRODUCT_LINE_WEIGHTS, n)
    country = accounts["_country"][account]
    region = COUNTRY_REGION[country]
    # Most deals are priced in the buyer's currency, some in USD whatever the country.
    currency = np.where(rng.random(n) < 0.7, COUNTRY_CURRENCY[country], "USD")
    owner = OWNER_OFFSET[region] + np.floor(rng.random(n) * OWNER_COUNT[region]).astype(np.int64)

    raw_amount = (
        np.asarray(v.SEGMENT_MEDIAN_AMOUNT)[segment]
        * np.asarray(v.OPPORTUNITY_TYPE_AMOUNT_FACTOR)[opportunity_type]
        * rng.lognormal(0, 0.8, n)
    )
    # Reps mostly type round numbers; quotes from CPQ carry cents.
    amount = np.where(rng.random(n) < 0.6, np.round(raw_amount, -2), np.round(raw_amount, 2))
    # Scenario deals stay clear of any minimum-amount rule unless that is their dirt.
    amount[:k] = np.maximum(amount[:k], 5_000.0)

    is_lost = status == LOST
    reason = np.where(is_lost, choose(rng, v.LOSS_REASON_WEIGHTS, n), -1)
    competitor_share = np.where(
        is_lost,
        np.asarray(v.LOSS_REASON_COMPETITOR_SHARE)[np.maximum(reason, 0)],
        np.where(status == WON, 0.5, 0.4),
    )
    has_competitor = rng.random(n) < competitor_share
    competitor = np.where(
        is_lost,
        choose_by_row(rng, v.COMPETITOR_WEIGHTS_BY_REASON, np.maximum(reason, 0)),
        choose(rng, v.COMPETITOR_WEIGHTS_OTHER, n),
    )
    competitor = np.where(has_competitor, competitor, -1)
    has_detail = is_lost & (rng.random(n) < 0.75)
    has_detail[:k] = True
    detail = np.full(n, None, dtype=object)
    detail[has_detail] = loss_details(rng, reason[has_detail], competitor[has_detail])

    hindsight_draw = rng.random(n)
    rates = config.dirt
    valid_id = hindsight_draw < rates.hindsight_deal_id
    stale_id = ~valid_id & (
        hindsight_draw < rates.hindsight_deal_id + rates.hindsight_deal_id_stale
    )
    valid_id[:k] = False
    stale_id[:k] = False
    index = np.arange(n, dtype=np.int64)
    hindsight_deal_id = np.full(n, None, dtype=object)
    hindsight_deal_id[valid_id] = hindsight_deal_ids(index[valid_id], config.seed, stale=False)
    hindsight_deal_id[stale_id] = hindsight_deal_ids(index[stale_id], config.seed, stale=True)

    return {
        "opportunity_name": concat(
            accounts["_short_name"][account],
            " - ",
            PRODUCT_NAMES[product],
            " - ",
            TYPE_NAMES[opportunity_type],
        ),
        "stage_name": STAGE_NAMES[stage],
        "is_closed": closed,
        "is_won": status == WON,
        "close_date": close,
        "stage_changed_at": stage_changed_at,
        "_stage_changed_at_null": np.zeros(n, dtype=bool),
        "_close_date_null": np.zeros(n, dtype=bool),
        "amount": amount,
        "currency_code": np.asarray(currency, dtype=object),
        "opportunity_type": TYPE_NAMES[opportunity_type],
        "primary_competitor": COMPETITOR_NAMES[competitor],
        "loss_reason": REASON_NAMES[reason],
        "loss_reason_detail": detail,
        "product_line": PRODUCT_NAMES[product],
        "owner_name": OWNER_NAMES[owner],
        "region": REGION_NAMES[region],
        "created_date": created,
        "hindsight_deal_id": hindsight_deal_id,
        "is_deleted": np.zeros(n, dtype=bool),
        "_account": account,
        "_status": status,
        "_competitor": competitor,
        "_stale_hindsight_id": stale_id,
    }


def _split_template(template: str) -> tuple[str, str, bool]:
    before, marker, after = template.partition("{c}")
    return before, after, bool(marker)


_OPENERS = [_split_template(t) for reason in v.LOSS_DETAIL_OPENERS for t in reason]
_OPENER_BEFORE = vocab_array([before for before, _, _ in _OPENERS])
_OPENER_AFTER = vocab_array([after for _, after, _ in _OPENERS])
_OPENER_HAS_COMPETITOR = np.array([has for _, _, has in _OPENERS] + [False])
_OPENERS_PER_REASON = len(v.LOSS_DETAIL_OPENERS[0])
_FOLLOW_UPS = vocab_array(v.LOSS_DETAIL_FOLLOW_UPS)
_COMPETITOR_IN_TEXT = vocab_array([*v.COMPETITORS[:-1], "another vendor"])


def loss_details(rng: np.random.Generator, reason: Ints, competitor: Ints) -> np.ndarray:
    """A rep's note: an opener for the reason (naming the competitor), then follow-ups."""
    n = reason.size
    # A note without a picked reason reads like the "Other" ones.
    reason_row = np.where(reason < 0, len(v.LOSS_REASONS) - 1, reason)
    opener = reason_row * _OPENERS_PER_REASON + rng.integers(0, _OPENERS_PER_REASON, n)
    named = np.where(competitor < 0, len(v.COMPETITORS) - 1, competitor)
    competitor_text = np.where(_OPENER_HAS_COMPETITOR[opener], _COMPETITOR_IN_TEXT[named], "")
    text = concat(_OPENER_BEFORE[opener], competitor_text, _OPENER_AFTER[opener])
    follow_ups = len(v.LOSS_DETAIL_FOLLOW_UPS)
    first = rng.integers(0, follow_ups, n)
    second = (first + rng.integers(1, follow_ups, n)) % follow_ups
    with_first = rng.random(n) < 0.7
    with_second = with_first & (rng.random(n) < 0.4)
    text[with_first] = concat(text[with_first], " ", _FOLLOW_UPS[first[with_first]])
    text[with_second] = concat(text[with_second], " ", _FOLLOW_UPS[second[with_second]])
    return text


# --- 4. contact roles -------------------------------------------------------------------


def _roles(
    opportunities: Table,
    contacts: Table,
    plan: ScenarioPlan,
    config: DemoDataConfig,
    rng: np.random.Generator,
) -> Table:
    """Roles of the bulk deals (scenario roles are added by apply_scenarios).

    Each deal gets 0..5 distinct contacts of its account; usually exactly one is primary.
    The no-role / no-primary / several-primary dirt is drawn here because it is the shape
    of the role rows themselves.
    """
    rates = config.dirt
    k = plan.deal_count
    deal = np.arange(k, opportunities["_account"].size, dtype=np.int64)
    n = deal.size
    account = opportunities["_account"][deal]
    available = contacts["_account_contact_count"][account]

    count = 1 + choose(rng, (0.55, 0.25, 0.12, 0.05, 0.03), n)
    count = np.minimum(count, available)
    count[rng.random(n) < rates.no_contact_role] = 0

    row_deal = np.repeat(deal, count)
    row_start = np.repeat(np.cumsum(count) - count, count)
    rank = np.arange(row_deal.size, dtype=np.int64) - row_start
    offset = np.floor(rng.random(n) * available).astype(np.int64)
    row_account_index = np.repeat(np.arange(n), count)
    contact = contacts["_account_first_contact"][account][row_account_index] + (
        (np.repeat(offset, count) + rank) % np.repeat(available, count)
    )

    primary_rank = np.floor(rng.random(n) * count).astype(np.int64)
    no_primary = (count >= 1) & (rng.random(n) < rates.no_primary_role)
    several_primary = (count >= 2) & ~no_primary & (rng.random(n) < rates.several_primary_roles)
    is_primary = rank == np.repeat(primary_rank, count)
    second_primary = (primary_rank + 1) % np.maximum(count, 1)
    is_primary |= np.repeat(several_primary, count) & (rank == np.repeat(second_primary, count))
    is_primary &= ~np.repeat(no_primary, count)

    category = TITLE_CATEGORY[contacts["_title"][contact]]
    role = choose_by_row(rng, v.ROLE_WEIGHTS_BY_CATEGORY, category)
    return {
        "role": ROLE_NAMES[role],
        "is_primary": is_primary,
        "_opportunity": row_deal,
        "_contact": contact,
        "_no_role_deals": deal[count == 0],
        "_no_primary_deals": deal[no_primary],
        "_several_primary_deals": deal[several_primary],
    }


def _log_role_dirt(roles: Table, dirt: DirtLog) -> None:
    dirt.add("no_contact_role", opportunities=roles.pop("_no_role_deals"))
    dirt.add("no_primary_role", opportunities=roles.pop("_no_primary_deals"))
    dirt.add("several_primary_roles", opportunities=roles.pop("_several_primary_deals"))


# --- 7. final frames --------------------------------------------------------------------


def _column(table: Table, name: str, sql_type: str) -> object:
    """One generation column in its final dtype (see frames.py for the mapping)."""
    values = table[name]
    if isinstance(values, pa.Array):
        return pd.arrays.ArrowStringArray(values)
    if sql_type == "VARCHAR":
        return _strings(values)
    nulls = table.get(f"_{name}_null")  # a null mask, where a column has one
    if sql_type == "DATE":
        return pd.array(pa.array(values.astype("datetime64[D]"), mask=nulls), dtype=DATE_DTYPE)
    if sql_type == "TIMESTAMP":
        stamps = values.astype("datetime64[us]")
        if nulls is not None:
            stamps[nulls] = np.datetime64("NaT")
        return stamps
    if sql_type == "BOOLEAN":
        return values.astype(bool)
    if sql_type == "INTEGER":
        return pd.array(values, dtype=pd.Int32Dtype())
    return pd.array(np.round(values, 2), dtype=pd.Float64Dtype())  # DECIMAL(18,2); NaN -> NA


def _strings(values: np.ndarray) -> object:
    """Object array -> string[pyarrow]. Columns drawn from a small vocabulary go through a
    dictionary (hash once, decode in C), about twice as fast as converting every element;
    for mostly-unique columns (emails, notes) the direct conversion is faster."""
    sample = values[:10_000]
    if len(set(sample)) > len(sample) // 10:
        return pd.array(values, dtype=STRING_DTYPE)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(codes, mask=codes < 0), pa.array(uniques, type=pa.large_string())
    )
    return pd.arrays.ArrowStringArray(dictionary.dictionary_decode())


def _frame(table: Table, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {column: _column(table, column, sql) for column, sql in CRM_COLUMNS[name].items()}
    )


# The CLI imports the whole API from this module.
__all__ = ["CrmFrames", "DemoDataConfig", "crm_table_ddl", "generate_crm", "hindsight_deals"]
