"""Benchmark of the shared rate limiter against the local Hindsight server (prints figures).

The server runs in its own process with a shortened window and injected latency; senders
run in other processes with a backlog larger than the limit allows. The server's own log
counts what arrived, per server window. For each scenario: the sustained rate over the
measured windows as a ratio to the limit, and the number of 429s.

Scenarios (run one after the other, on a fresh server state and a fresh key):

- ``ours, 1 process``: SharedRateLimiter (file store) + run_bounded at the recommended
  concurrency.
- ``ours, N processes``: N processes sharing the key through the file store (and, with
  ``--stores``, through Redis / Postgres).
- ``naive sequential``: what a user would write without this package: one request at a
  time with ``time.sleep(window / limit)`` between requests.
- ``pyrate-limiter``, with ``--with-pyrate``: N processes with pyrate-limiter's SQLiteBucket
  behind a file lock (its multi-process recipe), no server feedback.

    python bench/rate_limit_bench.py                       # ~1 minute
    python bench/rate_limit_bench.py --stores file,redis,postgres --with-pyrate
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    CreateInterviewRequest,
    HindsightClient,
    HindsightError,
    RateLimitHeaders,
)
from hindsight_pipeline.local_server.config import DEFAULT_API_KEY
from hindsight_pipeline.local_server.harness import start_server_process
from hindsight_pipeline.rate_limiting import (
    SharedRateLimiter,
    open_store,
    recommended_concurrency,
    resolve_policy,
    run_bounded,
)

SEQUENCE_ID = "seq_winloss_default"
STORE_URLS = {
    "file": None,  # a fresh temporary directory per scenario
    "redis": os.environ.get("HINDSIGHT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "postgres": os.environ.get(
        "HINDSIGHT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
}


@dataclass(frozen=True)
class Setup:
    base_url: str
    limit: int
    window: float
    latency_s: float


# ---- senders (each runs in its own process) ----------------------------------------------


def _backlog(tag: str, stop_at: float) -> Any:
    for i in itertools.count():
        if time.time() >= stop_at:
            return
        yield CreateInterviewRequest(
            contact_email=f"{tag}-{i}@example.com", sequence_id=SEQUENCE_ID
        )


async def _drain(
    client: AsyncHindsightClient, tag: str, stop_at: float, in_flight: int
) -> dict[str, int]:
    outcomes: dict[str, int] = {}

    async def send(request: CreateInterviewRequest) -> None:
        try:
            await client.create_interview(request)
            outcome = "ok"
        except HindsightError as exc:
            outcome = exc.code
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    await run_bounded(_backlog(tag, stop_at), send, in_flight)
    return outcomes


def send_with_our_limiter(
    setup: Setup,
    store_url: str,
    key_id: str,
    tag: str,
    start_at: float,
    stop_at: float,
    in_flight: int,
) -> dict[str, int]:
    async def main() -> dict[str, int]:
        policy = resolve_policy(limit_per_window=setup.limit, window_seconds=setup.window)
        limiter = SharedRateLimiter(open_store(store_url), key_id, policy)
        async with AsyncHindsightClient(setup.base_url, DEFAULT_API_KEY, limiter=limiter) as client:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            return await _drain(client, tag, stop_at, in_flight)

    return asyncio.run(main())


class _PyrateSeam:
    """pyrate-limiter behind the client's seam: it counts, and ignores server feedback."""

    def __init__(self, limiter: Any) -> None:
        self._limiter = limiter

    async def acquire(self) -> None:
        await self._limiter.try_acquire_async("hindsight")

    async def observe(self, headers: RateLimitHeaders) -> None:
        return None

    async def pause_until(self, reset_at: float) -> None:
        return None


def send_with_pyrate(
    setup: Setup, db_path: str, tag: str, start_at: float, stop_at: float, in_flight: int
) -> dict[str, int]:
    from pyrate_limiter import Limiter, Rate, SQLiteBucket

    async def main() -> dict[str, int]:
        rate = Rate(setup.limit, int(setup.window * 1000))
        bucket = SQLiteBucket.init_from_file([rate], db_path=db_path, use_file_lock=True)
        seam = _PyrateSeam(Limiter(bucket))
        async with AsyncHindsightClient(setup.base_url, DEFAULT_API_KEY, limiter=seam) as client:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            return await _drain(client, tag, stop_at, in_flight)

    return asyncio.run(main())


def send_naively(setup: Setup, tag: str, start_at: float, stop_at: float) -> dict[str, int]:
    """One request at a time, a fixed sleep of window / limit between them."""
    outcomes: dict[str, int] = {}
    pause = setup.window / setup.limit
    with HindsightClient(setup.base_url, DEFAULT_API_KEY) as client:
        time.sleep(max(0.0, start_at - time.time()))
        for request in _backlog(tag, stop_at):
            try:
                client.create_interview(request)
                outcome = "ok"
            except HindsightError as exc:
                outcome = exc.code
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            time.sleep(pause)
    return outcomes


# ---- measuring ---------------------------------------------------------------------------


@dataclass
class Figures:
    scenario: str
    processes: int
    in_flight: str
    measured: int  # 201s in the measured windows
    windows: int
    ratio: float
    max_in_window: int
    rate_limited: int  # 429s in the whole run, as the server logged them
    per_window: list[int]  # 201s in each measured window


def measure(
    admin_url: str,
    scenario: str,
    processes: int,
    in_flight: str,
    start_at: float,
    setup: Setup,
    windows: int,
) -> Figures:
    records = httpx.get(f"{admin_url}/requests", timeout=30).json()
    posts = [r for r in records if r["method"] == "POST"]
    first_window = math.floor(start_at / setup.window) + 1  # the first whole window
    measured_windows = range(first_window, first_window + windows)
    counts: dict[int, int] = {}
    for record in posts:
        if record["status"] == 201:
            w = math.floor(record["time"] / setup.window)
            counts[w] = counts.get(w, 0) + 1
    measured = sum(counts.get(w, 0) for w in measured_windows)
    return Figures(
        scenario=scenario,
        processes=processes,
        in_flight=in_flight,
        measured=measured,
        windows=windows,
        ratio=measured / (setup.limit * windows),
        max_in_window=max(counts.values(), default=0),
        rate_limited=sum(1 for r in posts if r["status"] == 429),
        per_window=[counts.get(w, 0) for w in measured_windows],
    )


def run_scenario(
    pool: ProcessPoolExecutor,
    admin_url: str,
    setup: Setup,
    windows: int,
    scenario: str,
    processes: int,
    in_flight: str,
    make_call: Any,
) -> Figures:
    httpx.post(f"{admin_url}/reset", timeout=10).raise_for_status()
    # Start half a window before a window boundary: the run covers the warm-up, then
    # `windows` whole windows, then a little more so the last one is complete.
    now = time.time()
    start_at = (math.floor((now + 1.0) / setup.window) + 1) * setup.window - setup.window / 2
    stop_at = (math.floor(start_at / setup.window) + 1 + windows) * setup.window + 0.2
    futures = [pool.submit(*make_call(n, start_at, stop_at)) for n in range(processes)]
    for future in futures:
        future.result(timeout=stop_at - time.time() + 120)
    return measure(admin_url, scenario, processes, in_flight, start_at, setup, windows)


def print_table(setup: Setup, rows: list[Figures]) -> None:
    print()
    print(
        f"limit {setup.limit} per {setup.window:g} s window ({setup.limit / setup.window:.1f}/s), "
        f"latency {setup.latency_s * 1000:.0f} ms, measured over {rows[0].windows} whole windows"
    )
    header = (
        f"{'scenario':<34} {'procs':>5} {'in flight':>9} {'sent':>5} {'rate/limit':>10} "
        f"{'429s':>5}  per window"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.scenario:<34} {row.processes:>5} {row.in_flight:>9} {row.measured:>5} "
            f"{row.ratio:>10.3f} {row.rate_limited:>5}  {' '.join(map(str, row.per_window))}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=60, help="requests per window (default 60)")
    parser.add_argument("--window", type=float, default=3.0, help="window seconds (default 3)")
    parser.add_argument(
        "--latency-ms", type=float, default=300.0, help="server latency (default 300)"
    )
    parser.add_argument(
        "--windows", type=int, default=4, help="whole windows measured (default 4, min 3)"
    )
    parser.add_argument(
        "--processes", type=int, default=4, help="processes sharing the key (default 4)"
    )
    parser.add_argument(
        "--stores", default="file", help="stores for the multi-process case: file,redis,postgres"
    )
    parser.add_argument(
        "--with-pyrate", action="store_true", help="add pyrate-limiter's SQLite bucket"
    )
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive loop")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=None,
        help="requests in flight per process (default: recommended)",
    )
    args = parser.parse_args(argv)
    if args.windows < 3:
        parser.error("--windows must be at least 3")
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(stores) - set(STORE_URLS)
    if unknown:
        parser.error(f"unknown stores: {sorted(unknown)}")

    process, base_url = start_server_process(
        [
            "--limit",
            str(args.limit),
            "--window-seconds",
            str(args.window),
            "--latency-ms",
            str(args.latency_ms),
        ]
    )
    admin_url = base_url.removesuffix("/api/v1") + "/_admin"
    setup = Setup(base_url, args.limit, args.window, args.latency_ms / 1000)
    in_flight = args.in_flight or recommended_concurrency(args.limit, args.window, setup.latency_s)
    rows: list[Figures] = []
    scratch = tempfile.TemporaryDirectory(prefix="rate_limit_bench_")
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max(args.processes, 1), mp_context=context) as pool:

            def ours(scenario: str, processes: int, store: str) -> Figures:
                url = STORE_URLS[store] or os.path.join(scratch.name, uuid.uuid4().hex)
                key_id = f"bench-{uuid.uuid4().hex[:12]}"

                def call(n: int, start_at: float, stop_at: float) -> tuple[Any, ...]:
                    return (
                        send_with_our_limiter,
                        setup,
                        url,
                        key_id,
                        f"{scenario[:4]}{n}",
                        start_at,
                        stop_at,
                        in_flight,
                    )

                row = run_scenario(
                    pool, admin_url, setup, args.windows, scenario, processes, str(in_flight), call
                )
                print(
                    f"  {row.scenario}: {row.ratio:.3f} of the limit, {row.rate_limited} x 429",
                    flush=True,
                )
                return row

            rows.append(ours("ours, 1 process, file store", 1, "file"))
            for store in stores:
                rows.append(
                    ours(f"ours, {args.processes} processes, {store} store", args.processes, store)
                )
            if args.with_pyrate:
                db_path = os.path.join(scratch.name, "pyrate.sqlite")

                def pyrate_call(n: int, start_at: float, stop_at: float) -> tuple[Any, ...]:
                    return (
                        send_with_pyrate,
                        setup,
                        db_path,
                        f"pyr{n}",
                        start_at,
                        stop_at,
                        in_flight,
                    )

                row = run_scenario(
                    pool,
                    admin_url,
                    setup,
                    args.windows,
                    f"pyrate-limiter SQLite, {args.processes} procs",
                    args.processes,
                    str(in_flight),
                    pyrate_call,
                )
                print(
                    f"  {row.scenario}: {row.ratio:.3f} of the limit, {row.rate_limited} x 429",
                    flush=True,
                )
                rows.append(row)
            if not args.skip_naive:

                def naive_call(n: int, start_at: float, stop_at: float) -> tuple[Any, ...]:
                    return (send_naively, setup, f"naive{n}", start_at, stop_at)

                row = run_scenario(
                    pool,
                    admin_url,
                    setup,
                    args.windows,
                    f"naive: sequential, sleep {args.window / args.limit * 1000:.0f} ms",
                    1,
                    "1",
                    naive_call,
                )
                print(
                    f"  {row.scenario}: {row.ratio:.3f} of the limit, {row.rate_limited} x 429",
                    flush=True,
                )
                rows.append(row)
    finally:
        process.terminate()
        process.wait(timeout=10)
        scratch.cleanup()
    print_table(setup, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
