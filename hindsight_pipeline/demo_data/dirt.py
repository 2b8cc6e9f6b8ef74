"""The dirt a real CRM sync has, drawn at the configured rates over the bulk rows.

Scenario rows (index below the plan's counts) are left alone here: they carry exactly the
one kind of dirt their scenario gives them. Every dirty row is logged in a `DirtLog`, which
becomes `CrmFrames.dirt`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from hindsight_pipeline.demo_data import vocab as v
from hindsight_pipeline.demo_data.columns import (
    MICROS_PER_DAY,
    Ints,
    Table,
    concat,
    day_number,
)
from hindsight_pipeline.demo_data.columns import (
    vocab as vocab_array,
)
from hindsight_pipeline.demo_data.config import DemoDataConfig
from hindsight_pipeline.demo_data.frames import STRING_DTYPE

# Email kinds are exclusive: one draw per contact picks at most one.
EMAIL_KINDS = (
    "email_null",
    "email_empty",
    "email_malformed",
    "email_unnormalized",
    "internal_domain",
)
CONTROL_CHARACTERS = ("\x00", "\x07", "\x1b[0m", "\x1b")
CONTROL_CHAR_NOTE = (
    "Buyer said:\x07 pricing was \x1b[31mway\x1b[0m too high.\x00 "
    "Copied from the call notes\x1b[2K; follow up in Q3."
)
UNICODE_NOTE = (
    "Lost to Gong 😞 — pricing 💸 was 3× ours. 客户说价格太高。Kunde: „zu teuer“. "  # noqa: RUF001
    "Ñandú naïve résumé; צוות הרכש ביקש הנחה; 🤷\u200d♀️ next year?"
)
_COMPETITOR_VARIANTS = [vocab_array(variants)[:-1] for variants in v.COMPETITOR_DIRTY_VARIANTS]


# What makes a contact the person it is: a second record of one person (duplicate_email)
# has all of these from the first, helper codes included.
PERSON_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "_local",
    "_first",
    "_last",
    "_title",
)


def copy_person(contacts: Table, targets: Ints | int, sources: Ints | int) -> None:
    """Make the contacts at `targets` second records of the people at `sources`."""
    for column in PERSON_COLUMNS:
        contacts[column][targets] = contacts[column][sources]


def long_note(min_chars: int, *, unicode: bool = False) -> str:
    """A rep pasting a whole email thread into the loss detail field."""
    parts = ["Pasting the whole thread from the buyer for context:\n"]
    size = len(parts[0])
    turn = 0
    while size < min_chars:
        follow_up = v.LOSS_DETAIL_FOLLOW_UPS[turn % len(v.LOSS_DETAIL_FOLLOW_UPS)]
        line = f"> On day {turn}, they wrote: {follow_up}\n"
        if unicode and turn % 7 == 0:
            line += "> 😬 Ça ne marche pas pour nous — 予算がありません.\n"
        parts.append(line)
        size += len(line)
        turn += 1
    return "".join(parts)


class DirtLog:
    """Which rows got which dirt, by generation index (mapped to ids at the end)."""

    def __init__(self) -> None:
        self._kinds: list[np.ndarray] = []
        self._opportunities: list[np.ndarray] = []
        self._contacts: list[np.ndarray] = []
        self._scenario: list[np.ndarray] = []

    def add(
        self,
        kind: str,
        *,
        opportunities: Ints | list[int] | None = None,
        contacts: Ints | list[int] | None = None,
        scenario: bool = False,
    ) -> None:
        """Log rows of one kind; -1 (or an omitted side) means no opportunity / contact."""
        given = opportunities if opportunities is not None else contacts
        if given is None:
            raise ValueError("log opportunities, contacts or both")
        size = len(given)
        absent = np.full(size, -1, dtype=np.int64)
        self._kinds.append(np.full(size, kind, dtype=object))
        self._opportunities.append(
            absent if opportunities is None else np.asarray(opportunities, dtype=np.int64)
        )
        self._contacts.append(absent if contacts is None else np.asarray(contacts, dtype=np.int64))
        self._scenario.append(np.full(size, scenario, dtype=bool))

    def frame(self, opportunity_ids: pa.StringArray, contact_ids: pa.StringArray) -> pd.DataFrame:
        def ids(index_parts: list[np.ndarray], id_array: pa.StringArray) -> pa.Array:
            index = np.concatenate([np.empty(0, dtype=np.int64), *index_parts])
            return id_array.take(pa.array(index, mask=index < 0))

        kinds = np.concatenate([np.empty(0, dtype=object), *self._kinds])
        return pd.DataFrame(
            {
                "kind": pd.array(kinds, dtype=STRING_DTYPE),
                "opportunity_id": pd.arrays.ArrowStringArray(
                    ids(self._opportunities, opportunity_ids)
                ),
                "contact_id": pd.arrays.ArrowStringArray(ids(self._contacts, contact_ids)),
                "scenario": np.concatenate([np.empty(0, dtype=bool), *self._scenario]),
            }
        )


def dirty_contacts(
    config: DemoDataConfig,
    accounts: Table,
    contacts: Table,
    first_regular: int,
    rng: np.random.Generator,
    dirt: DirtLog,
) -> None:
    """Missing / malformed / unnormalized / internal emails, opt-outs, deletions, control
    characters in names, and second records of the same person (same email)."""
    rates = config.dirt
    n = contacts["_account"].size - first_regular
    regular = np.arange(first_regular, first_regular + n, dtype=np.int64)
    email, local = contacts["email"], contacts["_local"]
    account = contacts["_account"]
    first_ascii = np.array([a for _, a in v.FIRST_NAMES], dtype=object)[contacts["_first"]]
    last_ascii = np.array([a for _, a in v.LAST_NAMES], dtype=object)[contacts["_last"]]

    edges = np.cumsum(
        [
            rates.email_null,
            rates.email_empty,
            rates.email_malformed,
            rates.email_unnormalized,
            rates.internal_domain,
        ]
    )
    email_kind = np.searchsorted(edges, rng.random(n), side="right")
    clean_email = np.ones(contacts["_account"].size, dtype=bool)
    for code, kind in enumerate(EMAIL_KINDS):
        rows = regular[email_kind == code]
        clean_email[rows] = False
        dirt.add(kind, contacts=rows)
        if kind == "email_null":
            email[rows] = None
        elif kind == "email_empty":
            email[rows] = ""
        elif kind == "email_malformed":
            email[rows] = _malformed(
                rng, local[rows], first_ascii[rows], last_ascii[rows], accounts, account[rows]
            )
        elif kind == "email_unnormalized":
            email[rows] = _unnormalized(
                rng, first_ascii[rows], last_ascii[rows], accounts, account[rows]
            )
        else:
            domains = np.asarray(config.internal_domains, dtype=object)
            email[rows] = concat(
                local[rows], "@", domains[rng.integers(0, domains.size, rows.size)]
            )

    # A second record for the person just before it at the same account (a sync or a rep
    # creating a duplicate). Both must have clean emails so the email dirt logged above
    # stays true, and the source must not itself be a copy.
    copy = rng.random(n) < rates.duplicate_email
    copy[0] = False
    source = regular - 1
    copy &= account[source] == account[regular]
    copy &= clean_email[source] & clean_email[regular] & ~np.concatenate([[False], copy[:-1]])
    targets, sources = regular[copy], source[copy]
    copy_person(contacts, targets, sources)
    dirt.add("duplicate_email", contacts=np.concatenate([sources, targets]))

    opted_out = regular[rng.random(n) < rates.email_opt_out]
    contacts["email_opt_out"][opted_out] = True
    dirt.add("email_opt_out", contacts=opted_out)
    deleted = regular[rng.random(n) < rates.contact_deleted]
    contacts["is_deleted"][deleted] = True
    dirt.add("contact_deleted", contacts=deleted)

    control = regular[rng.random(n) < rates.control_chars_name]
    characters = np.asarray(CONTROL_CHARACTERS, dtype=object)
    contacts["first_name"][control] = concat(
        contacts["first_name"][control], characters[rng.integers(0, characters.size, control.size)]
    )
    dirt.add("control_chars_name", contacts=control)


def _malformed(
    rng: np.random.Generator,
    local: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    accounts: Table,
    account: Ints,
) -> np.ndarray:
    domain, stem = accounts["_domain"][account], accounts["_domain_stem"][account]
    variants = np.stack(
        [
            concat(local, "@"),  # jane.doe@
            concat(local, ".", domain),  # no at sign
            concat(first, " ", last, "@", domain),  # a space
            concat(local, "@", stem),  # x@y: no dot in the domain
            concat(local, "@@", domain),
        ]
    )
    return variants[rng.integers(0, variants.shape[0], local.size), np.arange(local.size)]


def _unnormalized(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, accounts: Table, account: Ints
) -> np.ndarray:
    """Valid once trimmed and lower-cased: '  Jane.Doe@NorthwindLogistics.COM '."""
    capitalized = (
        pd.Series(concat(first, ".", last), dtype=object).str.title().to_numpy(dtype=object)
    )
    domain = (
        pd.Series(accounts["_domain"][account], dtype=object).str.upper().to_numpy(dtype=object)
    )
    mixed = concat(capitalized, "@", domain)
    padded = rng.random(first.size) < 0.5
    mixed[padded] = concat("  ", mixed[padded], " ")
    return mixed


def dirty_opportunities(
    config: DemoDataConfig,
    opportunities: Table,
    first_regular: int,
    rng: np.random.Generator,
    dirt: DirtLog,
) -> None:
    rates = config.dirt
    n = opportunities["_account"].size - first_regular
    regular = np.arange(first_regular, first_regular + n, dtype=np.int64)
    status = opportunities["_status"][regular]
    is_lost, is_closed = status == 0, status != 2

    deleted = regular[rng.random(n) < rates.opportunity_deleted]
    opportunities["is_deleted"][deleted] = True
    dirt.add("opportunity_deleted", opportunities=deleted)

    amount = opportunities["amount"]
    edges = np.cumsum([rates.amount_null, rates.amount_zero, rates.amount_small])
    amount_kind = np.searchsorted(edges, rng.random(n), side="right")
    rows = regular[amount_kind == 0]
    amount[rows] = np.nan
    dirt.add("amount_null", opportunities=rows)
    rows = regular[amount_kind == 1]
    amount[rows] = 0.0
    dirt.add("amount_zero", opportunities=rows)
    rows = regular[amount_kind == 2]
    amount[rows] = rng.integers(1, 100, rows.size).astype(float)
    dirt.add("amount_small", opportunities=rows)

    rows = regular[is_lost & (rng.random(n) < rates.loss_reason_null)]
    opportunities["loss_reason"][rows] = None
    # Reps who skip the picklist mostly skip the note too.
    keep_note = rng.random(rows.size) < 0.2
    opportunities["loss_reason_detail"][rows[~keep_note]] = None
    dirt.add("loss_reason_null", opportunities=rows)

    competitor = opportunities["_competitor"]
    rows = regular[(competitor[regular] >= 0) & (rng.random(n) < rates.competitor_dirty)]
    names = opportunities["primary_competitor"]
    for code, variants in enumerate(_COMPETITOR_VARIANTS):
        these = rows[competitor[rows] == code]
        names[these] = variants[rng.integers(0, variants.size, these.size)]
    dirt.add("competitor_dirty", opportunities=rows)

    rows = regular[is_lost & (rng.random(n) < rates.stage_changed_at_null)]
    opportunities["_stage_changed_at_null"][rows] = True
    dirt.add("stage_changed_at_null", opportunities=rows)

    rows = regular[is_closed & (rng.random(n) < rates.stage_changed_other_day)]
    rows = rows[~opportunities["_stage_changed_at_null"][rows]]
    shift_stage_day(config, opportunities, rows, np.where(rng.random(rows.size) < 0.5, -1, 1))
    dirt.add("stage_changed_other_day", opportunities=rows)

    detail = opportunities["loss_reason_detail"]
    with_detail = regular[pd.notna(detail[regular])]
    rows = with_detail[rng.random(with_detail.size) < rates.control_chars_text]
    characters = np.asarray(CONTROL_CHARACTERS, dtype=object)
    detail[rows] = concat(
        detail[rows], " ", characters[rng.integers(0, characters.size, rows.size)]
    )
    dirt.add("control_chars_text", opportunities=rows)

    rows = regular[is_lost & (rng.random(n) < rates.long_text)]
    if rows.size:
        note = long_note(60_000)
        detail[rows] = note
    dirt.add("long_text", opportunities=rows)

    dirt.add(
        "hindsight_deal_id_stale",
        opportunities=regular[opportunities["_stale_hindsight_id"][regular]],
    )


def shift_stage_day(config: DemoDataConfig, opportunities: Table, rows: Ints, shift: Ints) -> None:
    """Move stage_changed_at to close_date ± 1 (same time of day), staying inside the
    date range when the other direction allows it."""
    start, end = day_number(config.start_date), day_number(config.end_date)
    close = opportunities["close_date"][rows]
    outside = (close + shift < start) | (close + shift > end)
    shift = np.where(outside, -shift, shift)
    time_of_day = opportunities["stage_changed_at"][rows] % MICROS_PER_DAY
    opportunities["stage_changed_at"][rows] = (close + shift) * MICROS_PER_DAY + time_of_day


def append_duplicate_rows(
    config: DemoDataConfig,
    contacts: pd.DataFrame,
    opportunities: pd.DataFrame,
    *,
    first_contact: int,
    first_deal: int,
    forced_contacts: Ints,
    forced_opportunities: Ints,
    rng: np.random.Generator,
    dirt: DirtLog,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exact copies of some rows appended at the end, as a CRM sync re-delivers them.

    Bulk rows (from first_contact / first_deal on) are copied at the configured rates, plus
    the forced scenario rows. The copy is identical to the original, so de-duplicating by
    key (keeping any copy) is exact.
    """
    rates = config.dirt
    contact_rows = first_contact + np.flatnonzero(
        rng.random(len(contacts) - first_contact) < rates.contact_duplicate_row
    )
    deal_rows = first_deal + np.flatnonzero(
        rng.random(len(opportunities) - first_deal) < rates.opportunity_duplicate_row
    )
    dirt.add("contact_duplicate_row", contacts=contact_rows)
    dirt.add("opportunity_duplicate_row", opportunities=deal_rows)
    contact_rows = np.concatenate([forced_contacts, contact_rows])
    deal_rows = np.concatenate([forced_opportunities, deal_rows])
    contacts = pd.concat([contacts, contacts.iloc[contact_rows]], ignore_index=True)
    opportunities = pd.concat([opportunities, opportunities.iloc[deal_rows]], ignore_index=True)
    return contacts, opportunities
