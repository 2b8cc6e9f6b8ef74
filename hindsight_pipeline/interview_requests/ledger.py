"""The durable ledger: ``hindsight.interview_requests`` and its append-only attempts log.

At most once per (deal, contact): a row is claimed (``sending``, with the run id) in a small
batch just before its request goes out, and its result is written after, in batches. The
claim and the contact cool-down check are one transaction, so two runs at once cannot both
pass it (DuckDB: one writer at a time; Snowflake: the transaction first updates the lock
row, which serializes claimers). A ``sending`` row whose run is gone becomes
``unconfirmed``, which nothing resends automatically.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import pandas as pd

from hindsight_pipeline.interview_requests.rules import SkipReason
from hindsight_pipeline.interview_requests.schema import (
    ATTEMPTS_COLUMNS,
    ATTEMPTS_TABLE,
    CLAIMABLE_STATUSES,
    COOLDOWN_STATUSES,
    LEASES_COLUMNS,
    LEASES_TABLE,
    RESULTS_COLUMNS,
    RESULTS_SCHEMA,
    RESULTS_TABLE,
    RowKey,
    Status,
    warehouse_now,
)
from hindsight_pipeline.warehouse import Warehouse, WarehouseSession

T = TypeVar("T")

LOCK_TABLE = f"{RESULTS_SCHEMA}.ledger_lock"
KEY = ("deal_id", "contact_id")
# The one staging table a ledger transaction loads its batch into: created on the connection
# before the transaction begins (DDL inside it would commit it on Snowflake).
BATCH = "_ledger_batch"
BATCH_SCRATCH = {BATCH: RESULTS_COLUMNS}


def _in_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def ensure_ledger_tables(warehouse: Warehouse) -> None:
    warehouse.ensure_tables(
        RESULTS_SCHEMA,
        {
            RESULTS_TABLE.split(".")[1]: RESULTS_COLUMNS,
            ATTEMPTS_TABLE.split(".")[1]: ATTEMPTS_COLUMNS,
            LEASES_TABLE.split(".")[1]: LEASES_COLUMNS,
            LOCK_TABLE.split(".")[1]: {"locked_at": "timestamp"},
        },
    )

    def seed_lock_row(session: WarehouseSession) -> None:
        # The row every claim updates first: it serializes claimers on every warehouse.
        if session.query_df(f"select count(*) as n from {LOCK_TABLE}")["n"].iloc[0] == 0:
            session.execute(f"insert into {LOCK_TABLE} (locked_at) values (?)", [warehouse_now()])

    warehouse.transaction(seed_lock_row)


@dataclass(frozen=True)
class Lease:
    """Who holds ``sending`` rows: lets a later run tell a live sender from a dead one."""

    dagster_run_id: str
    host: str
    pid: int
    process_started: str | None

    @classmethod
    def of_this_process(cls, run_id: str) -> Lease:
        return cls(run_id, socket.gethostname(), os.getpid(), process_start_marker(os.getpid()))

    def process_alive(self) -> bool | None:
        """True/False where this host can tell (same host, with /proc), None where it cannot
        (then the lease's heartbeat decides)."""
        if self.host != socket.gethostname() or self.process_started is None:
            return None
        if not os.path.isdir("/proc/self"):
            return None
        marker = process_start_marker(self.pid)
        return marker is not None and marker == self.process_started


def process_start_marker(pid: int) -> str | None:
    # The start time in /proc tells a live process from a later one that reused its pid.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass
class ClaimResult:
    claimed: pd.DataFrame  # rows now ``sending`` for this run
    cooled: pd.DataFrame  # rows skipped for contact_cooldown
    taken: int  # rows another run holds or already settled


class Ledger:
    """The ledger as one run sees it. Every method is one short transaction."""

    def __init__(self, warehouse: Warehouse, run_id: str, *, cooldown_days: int = 90) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self.cooldown = timedelta(days=cooldown_days)
        self.write_seconds = 0.0  # time spent in this run's ledger transactions

    def _transaction(self, work: Callable[[WarehouseSession], T]) -> T:
        started = time.perf_counter()
        try:
            return self.warehouse.transaction(work, scratch=BATCH_SCRATCH)
        finally:
            self.write_seconds += time.perf_counter() - started

    # Reading.

    def rows_for(self, closed_lost_date: date) -> pd.DataFrame:
        return self.warehouse.query_df(
            f"select * from {RESULTS_TABLE} where closed_lost_date = ?", [closed_lost_date]
        )

    def status_counts(self, closed_lost_date: date | None = None) -> pd.DataFrame:
        where = "where closed_lost_date = ?" if closed_lost_date else ""
        params = [closed_lost_date] if closed_lost_date else None
        return self.warehouse.query_df(
            f"select status, coalesce(error_code, '') as reason, count(*) as n "
            f"from {RESULTS_TABLE} {where} group by 1, 2 order by 1, 2",
            params,
        )

    # Skips, claims and results.

    def record_skipped(self, rows: pd.DataFrame) -> int:
        """Skipped rows (never sent) for rows absent or still claimable; returns rows written."""
        details = rows.get("skip_detail", pd.Series(None, index=rows.index, dtype=object))
        return self._record_unsent(rows, Status.SKIPPED, rows["skip_reason"], details)

    def defer(self, rows: pd.DataFrame, *, error_code: str, message: str) -> int:
        """Eligible rows this run did not get to (paused, or past its cap): ``pending_retry``,
        so the partition's next run or the schedule's sweep sends them. Nothing was sent."""
        return self._record_unsent(rows, Status.PENDING_RETRY, error_code, message)

    def _record_unsent(
        self,
        rows: pd.DataFrame,
        status: Status,
        error_code: str | pd.Series,
        error_message: str | pd.Series,
    ) -> int:
        """Rows never sent, in ``status`` with their reason (one for all, or one per row)."""
        if rows.empty:
            return 0
        frame = _ledger_frame(rows, status=status, run_id=self.run_id, now=warehouse_now())
        for column, value in (("error_code", error_code), ("error_message", error_message)):
            frame[column] = value.to_numpy() if isinstance(value, pd.Series) else value
        return self._transaction(lambda s: _upsert_claimable(s, frame))

    def claim(self, rows: pd.DataFrame) -> ClaimResult:
        """Claim ``rows`` for sending, atomically with the contact cool-down check.

        A row already ``sending``/``sent``/``created``/``failed``/``unconfirmed`` is not
        touched; a row whose contact email has a request within the cool-down window (on any
        other deal) becomes ``skipped``/``contact_cooldown``; the rest become ``sending``.
        """
        now = warehouse_now()
        frame = _ledger_frame(rows, status=Status.SENDING, run_id=self.run_id, now=now)
        frame["first_attempted_at"] = now
        frame["last_attempted_at"] = now

        def claim(session: WarehouseSession) -> ClaimResult:
            session.execute(f"update {LOCK_TABLE} set locked_at = ?", [now])
            _load_batch(session, frame[["deal_id", "contact_id", "contact_email"]])
            state = _cooldown_state(session, since=now - self.cooldown)
            state = state.set_index(list(KEY))
            keyed = frame.set_index(list(KEY))
            claimable = state["current_status"].isna() | state["current_status"].isin(
                list(CLAIMABLE_STATUSES)
            )
            cooled_keys = state.index[claimable & (state["cooled"] == 1)]
            claim_keys = state.index[claimable & (state["cooled"] == 0)]
            cooled = keyed.loc[cooled_keys].reset_index()
            cooled["status"] = Status.SKIPPED.value
            cooled["error_code"] = SkipReason.CONTACT_COOLDOWN
            cooled["first_attempted_at"] = None
            cooled["last_attempted_at"] = None
            _upsert_claimable(session, cooled)
            claimed = keyed.loc[claim_keys].reset_index()
            _upsert_claimable(session, claimed)
            return ClaimResult(claimed, cooled, taken=int((~claimable).sum()))

        result = self._transaction(claim)
        # Hand back the caller's rows (payload columns included) in claim order.
        claimed_keys = set(
            zip(result.claimed["deal_id"], result.claimed["contact_id"], strict=True)
        )
        mask = [
            key in claimed_keys
            for key in zip(rows["opportunity_id"], rows["contact_id"], strict=True)
        ]
        result.claimed = rows[mask]
        return result

    def cooled_keys(self, rows: pd.DataFrame) -> set[RowKey]:
        """The rows a claim now would put in ``contact_cooldown``; reads, claims nothing (the
        dry run's view of what would go out)."""
        if rows.empty:
            return set()
        frame = _ledger_frame(rows, status=Status.SENDING, run_id=self.run_id, now=warehouse_now())

        def read(session: WarehouseSession) -> pd.DataFrame:
            _load_batch(session, frame[["deal_id", "contact_id", "contact_email"]])
            return _cooldown_state(session, since=warehouse_now() - self.cooldown)

        state = self._transaction(read)
        cooled = state[state["cooled"] == 1]
        return set(zip(cooled["deal_id"], cooled["contact_id"], strict=True))

    def record_results(self, outcomes: pd.DataFrame, attempts: pd.DataFrame) -> None:
        """Write a batch of send outcomes and their HTTP attempts in one transaction.

        Only this run's rows are updated, ``sending`` or ``unconfirmed`` (a row another run
        wrongly presumed dead gets its real answer back).
        """
        if outcomes.empty and attempts.empty:
            return
        now = warehouse_now()
        frame = outcomes.copy()
        frame["updated_at"] = now

        def write(session: WarehouseSession) -> None:
            if not frame.empty:
                _load_batch(session, frame)
                session.execute(
                    f"""
                    update {RESULTS_TABLE} as t set
                        status = b.status,
                        interview_request_id = b.interview_request_id,
                        hindsight_contact_id = b.hindsight_contact_id,
                        hindsight_deal_id = b.hindsight_deal_id,
                        survey_url = b.survey_url,
                        error_code = b.error_code,
                        error_message = b.error_message,
                        notes = coalesce(b.notes, t.notes),
                        attempts = t.attempts + b.attempts,
                        last_attempted_at = b.last_attempted_at,
                        updated_at = b.updated_at
                    from {BATCH} b
                    where t.deal_id = b.deal_id and t.contact_id = b.contact_id
                      and t.dagster_run_id = ?
                      and t.status in ('{Status.SENDING}', '{Status.UNCONFIRMED}')
                    """,
                    [self.run_id],
                )
            if not attempts.empty:
                session.insert_df(ATTEMPTS_TABLE, attempts)

        self._transaction(write)

    def release(self, rows: pd.DataFrame, *, error_code: str, message: str) -> None:
        """Claimed rows that were never sent go back to ``pending_retry`` (nothing was sent)."""
        if rows.empty:
            return
        keys = rows[["opportunity_id", "contact_id"]].rename(columns={"opportunity_id": "deal_id"})

        def write(session: WarehouseSession) -> None:
            _load_batch(session, keys)
            session.execute(
                f"""
                update {RESULTS_TABLE} as t set status = '{Status.PENDING_RETRY}',
                    error_code = ?, error_message = ?, updated_at = ?
                from {BATCH} b
                where t.deal_id = b.deal_id and t.contact_id = b.contact_id
                  and t.dagster_run_id = ? and t.status = '{Status.SENDING}'
                """,
                [error_code, message, warehouse_now(), self.run_id],
            )

        self._transaction(write)

    # Leases and recovery.

    def heartbeat(self, lease: Lease) -> None:
        def write(session: WarehouseSession) -> None:
            session.execute(
                f"delete from {LEASES_TABLE} where dagster_run_id = ?", [lease.dagster_run_id]
            )
            session.execute(
                f"insert into {LEASES_TABLE} (dagster_run_id, host, pid, process_started, heartbeat_at) "
                "values (?, ?, ?, ?, ?)",
                [
                    lease.dagster_run_id,
                    lease.host,
                    lease.pid,
                    lease.process_started,
                    warehouse_now(),
                ],
            )

        self._transaction(write)

    def end_lease(self) -> None:
        self.warehouse.execute(
            f"delete from {LEASES_TABLE} where dagster_run_id = ?", [self.run_id]
        )

    def recover_lost_claims(
        self,
        run_finished: Callable[[str], bool],
        *,
        lease_timeout: timedelta = timedelta(minutes=10),
    ) -> int:
        """``sending`` rows of runs that are gone become ``unconfirmed``; returns how many.

        A run is gone when Dagster says it finished, when its process is dead (same host), or
        when its lease has not been renewed within ``lease_timeout`` (another host).
        """
        holders = self.warehouse.query_df(
            f"""
            select distinct r.dagster_run_id, l.host, l.pid, l.process_started, l.heartbeat_at
            from {RESULTS_TABLE} r left join {LEASES_TABLE} l on l.dagster_run_id = r.dagster_run_id
            where r.status = '{Status.SENDING}' and r.dagster_run_id <> ?
            """,
            [self.run_id],
        )
        now = warehouse_now()
        gone: list[str] = []
        for holder in holders.itertuples(index=False):
            run_id = str(holder.dagster_run_id)
            if pd.isna(holder.host):
                alive: bool | None = False  # every sender takes a lease before its first claim
            else:
                lease = Lease(run_id, str(holder.host), int(holder.pid), holder.process_started)
                alive = lease.process_alive()
                if alive is None:
                    alive = now - pd.Timestamp(holder.heartbeat_at).to_pydatetime() < lease_timeout
            if not alive or run_finished(run_id):
                gone.append(run_id)
        return sum(self._mark_unconfirmed(run_id) for run_id in gone)

    def _mark_unconfirmed(self, run_id: str) -> int:
        now = warehouse_now()

        def write(session: WarehouseSession) -> int:
            stranded = session.query_df(
                f"select deal_id, contact_id, contact_email from {RESULTS_TABLE} "
                f"where status = '{Status.SENDING}' and dagster_run_id = ?",
                [run_id],
            )
            session.execute(
                f"""
                update {RESULTS_TABLE} set status = '{Status.UNCONFIRMED}',
                    error_code = 'sender_lost', updated_at = ?,
                    error_message = 'The run that claimed this request ended before recording '
                        || 'an answer: it may have been sent. Find it in Hindsight, then resolve it.'
                where status = '{Status.SENDING}' and dagster_run_id = ?
                """,
                [now, run_id],
            )
            events = stranded.assign(
                dagster_run_id=self.run_id,
                event="marked_unconfirmed",
                attempted_at=now,
                outcome=Status.UNCONFIRMED.value,
                note=f"claimed by run {run_id}, which is gone",
            )
            session.insert_df(ATTEMPTS_TABLE, events)
            return len(stranded)

        return self._transaction(write)


def _cooldown_state(session: WarehouseSession, *, since: datetime) -> pd.DataFrame:
    """For each row of the batch: its current status, and whether its contact email holds a
    request on another deal since ``since`` (the cool-down), in one read."""
    return session.query_df(
        f"""
        select b.deal_id, b.contact_id, t.status as current_status,
            case when exists (
                select 1 from {RESULTS_TABLE} o
                where o.contact_email = b.contact_email
                  and o.status in ({_in_list(COOLDOWN_STATUSES)})
                  and o.last_attempted_at >= ?
                  and not (o.deal_id = b.deal_id and o.contact_id = b.contact_id)
            ) then 1 else 0 end as cooled
        from {BATCH} b
        left join {RESULTS_TABLE} t
            on t.deal_id = b.deal_id and t.contact_id = b.contact_id
        """,
        [since],
    )


def _ledger_frame(
    rows: pd.DataFrame, *, status: Status, run_id: str, now: datetime
) -> pd.DataFrame:
    """Ledger columns for candidate rows (as ``apply_rules`` returns them)."""
    return pd.DataFrame(
        {
            "deal_id": rows["opportunity_id"].to_numpy(),
            "contact_id": rows["contact_id"].to_numpy(),
            "contact_email": _col(rows, "email"),
            "closed_lost_date": rows["closed_lost_date"].to_numpy(),
            "status": status.value,
            "hindsight_deal_id": _col(rows, "hindsight_deal_id"),
            "sequence_id": _col(rows, "sequence_id"),
            "interview_type_id": _col(rows, "interview_type_id"),
            "objective": _col(rows, "objective"),
            "error_code": None,
            "error_message": None,
            "attempts": 0,
            "first_attempted_at": None,
            "last_attempted_at": None,
            "dagster_run_id": run_id,
            "created_at": now,
            "updated_at": now,
        }
    )


def _col(rows: pd.DataFrame, name: str) -> Sequence[object]:
    if name not in rows:
        return [None] * len(rows)
    column = rows[name].astype(object)
    return column.where(column.notna(), None).to_numpy()


def _load_batch(session: WarehouseSession, frame: pd.DataFrame) -> None:
    """``frame`` as the transaction's batch table (DML only: the table exists already)."""
    session.execute(f"delete from {BATCH}")
    session.insert_df(BATCH, frame)


def _upsert_claimable(session: WarehouseSession, frame: pd.DataFrame) -> int:
    """Insert absent rows; update rows still in a claimable status. Returns rows written."""
    if frame.empty:
        return 0
    _load_batch(session, frame)
    # A re-claimed row keeps its attempt count and when it was first tried.
    kept = {
        "attempts": None,
        "created_at": None,
        "first_attempted_at": "coalesce(t.first_attempted_at, b.first_attempted_at)",
        "last_attempted_at": "coalesce(b.last_attempted_at, t.last_attempted_at)",
    }
    assignments = ", ".join(
        f"{c} = {kept.get(c) or 'b.' + c}"
        for c in frame.columns
        if c not in KEY and (c not in kept or kept[c])
    )
    session.execute(
        f"""
        update {RESULTS_TABLE} as t set {assignments}
        from {BATCH} b
        where t.deal_id = b.deal_id and t.contact_id = b.contact_id
          and t.status in ({_in_list(CLAIMABLE_STATUSES)})
        """
    )
    all_columns = ", ".join(frame.columns)
    session.execute(
        f"""
        insert into {RESULTS_TABLE} ({all_columns})
        select {all_columns} from {BATCH} b
        where not exists (
            select 1 from {RESULTS_TABLE} t
            where t.deal_id = b.deal_id and t.contact_id = b.contact_id
        )
        """
    )
    return len(frame)
