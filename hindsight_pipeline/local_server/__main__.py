"""``python -m hindsight_pipeline.local_server`` (or ``hindsight-local-server``): run the server.

See docs/local-hindsight-server.md. The first line on stdout is
``HINDSIGHT_LOCAL_SERVER_URL=http://HOST:PORT/api/v1`` (useful with ``--port 0``); everything
else goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from hindsight_pipeline.local_server.app import API_PREFIX, create_app
from hindsight_pipeline.local_server.config import (
    DEFAULT_API_KEY,
    PLAN_LIMITS,
    ServerConfig,
    generate_deals,
    load_deals_file,
)
from hindsight_pipeline.local_server.faults import FaultConfig, LatencyConfig
from hindsight_pipeline.local_server.harness import URL_LINE_PREFIX, bind_socket, uvicorn_config


def _pair(text: str) -> tuple[float, float]:
    try:
        first, second = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected two numbers: A,B") from None
    return first, second


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hindsight-local-server",
        description="A local stand-in for the Hindsight API (POST/GET/PATCH /interviews, GET /deals) "
        "with rate limits, fault injection and a request log. Never emails anyone.",
    )
    server = parser.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    server.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 = any free port)"
    )
    server.add_argument(
        "--loop",
        default="auto",
        choices=["auto", "asyncio", "uvloop"],
        help="event loop (default auto)",
    )
    server.add_argument(
        "--http",
        default="auto",
        choices=["auto", "h11", "httptools"],
        help="HTTP parser (default auto)",
    )
    server.add_argument(
        "--log-level", default="warning", help="uvicorn log level (default warning)"
    )

    org = parser.add_argument_group("org")
    org.add_argument(
        "--api-key",
        default=os.environ.get("HINDSIGHT_LOCAL_API_KEY", DEFAULT_API_KEY),
        help=f"the accepted Bearer key (default $HINDSIGHT_LOCAL_API_KEY or {DEFAULT_API_KEY})",
    )
    org.add_argument(
        "--plan",
        choices=sorted(PLAN_LIMITS),
        help="set --limit from a plan: essentials 60, growth 300, enterprise 1000",
    )
    org.add_argument(
        "--limit", type=int, default=None, help="requests per window per key (default 60)"
    )
    org.add_argument(
        "--window-seconds",
        type=float,
        default=60.0,
        help="window length, may be fractional (default 60)",
    )
    org.add_argument(
        "--sequence-id",
        action="append",
        dest="sequence_ids",
        help="a known sequence id (repeatable; replaces the defaults)",
    )
    org.add_argument(
        "--interview-type-id",
        action="append",
        dest="interview_type_ids",
        help="a known interview type id (repeatable; replaces the defaults)",
    )
    org.add_argument(
        "--deals-file",
        type=Path,
        help="JSON list of deals (each with id, name, amount, salesforce_id, ...)",
    )
    org.add_argument(
        "--generate-deals",
        type=int,
        metavar="N",
        help="N generated demo deals instead of the default 5",
    )
    org.add_argument(
        "--completion-after-seconds",
        type=float,
        default=3600.0,
        help="created/sent -> completed after this long (default 3600)",
    )

    faults = parser.add_argument_group("faults (also settable at run time: POST /_admin/faults)")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="fixed latency per request")
    faults.add_argument(
        "--latency-uniform", type=_pair, metavar="MIN,MAX", help="uniform latency in ms"
    )
    faults.add_argument(
        "--latency-lognormal",
        type=_pair,
        metavar="MEDIAN,SIGMA",
        help="lognormal latency: median ms, sigma",
    )
    for code, meaning in (
        ("500", "500 internal_error, nothing created"),
        ("503", "503, nothing created"),
        ("502", "502 after the interview is created"),
        ("504", "504 after the interview is created"),
        ("crash", "500 without error code after the interview is created"),
        ("drop", "connection dropped after the interview is created"),
        ("429-burst", "the window's budget spent by 'another tool', then 429"),
    ):
        faults.add_argument(
            f"--rate-{code}", type=float, default=0.0, metavar="P", help=f"probability of {meaning}"
        )
    faults.add_argument(
        "--faults-file",
        type=Path,
        help="JSON FaultConfig (by_email rules, queue, rates, latency); flags override",
    )
    faults.add_argument(
        "--seed", type=int, default=None, help="seed of the fault and latency RNGs (default 0)"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    fault_data = (
        json.loads(args.faults_file.read_text(encoding="utf-8")) if args.faults_file else {}
    )
    base = FaultConfig.from_dict(fault_data)
    if args.latency_uniform:
        base.latency = LatencyConfig(
            kind="uniform", min_ms=args.latency_uniform[0], max_ms=args.latency_uniform[1]
        )
    elif args.latency_lognormal:
        base.latency = LatencyConfig(
            kind="lognormal", median_ms=args.latency_lognormal[0], sigma=args.latency_lognormal[1]
        )
    elif args.latency_ms:
        base.latency = LatencyConfig(ms=args.latency_ms)
    rates = {
        "rate_500": args.rate_500,
        "rate_503": args.rate_503,
        "rate_502": args.rate_502,
        "rate_504": args.rate_504,
        "rate_crash": args.rate_crash,
        "rate_drop": args.rate_drop,
        "rate_429_burst": args.rate_429_burst,
    }
    data = base.to_dict()
    data.update({k: v for k, v in rates.items() if v})
    if args.seed is not None:
        data["seed"] = args.seed
    fault_config = FaultConfig.from_dict(data)

    if args.deals_file:
        deals = load_deals_file(args.deals_file)
    elif args.generate_deals is not None:
        deals = generate_deals(args.generate_deals)
    else:
        deals = generate_deals(5)
    limit = args.limit if args.limit is not None else PLAN_LIMITS[args.plan] if args.plan else 60
    defaults = ServerConfig()
    return ServerConfig(
        api_key=args.api_key,
        limit=limit,
        window_seconds=args.window_seconds,
        sequence_ids=args.sequence_ids or defaults.sequence_ids,
        interview_type_ids=args.interview_type_ids or defaults.interview_type_ids,
        deals=deals,
        completion_after_seconds=args.completion_after_seconds,
        faults=fault_config,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    sock = bind_socket(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}{API_PREFIX}"
    print(f"{URL_LINE_PREFIX}{base_url}", flush=True)
    key_note = (
        f"the default local key {DEFAULT_API_KEY}"
        if config.api_key == DEFAULT_API_KEY
        else "custom (not shown)"
    )
    print(
        f"Local Hindsight server at {base_url}\n"
        f"  API key: {key_note}\n"
        f"  limit: {config.limit} requests per {config.window_seconds:g} s window\n"
        f"  sequence ids: {', '.join(config.sequence_ids)}\n"
        f"  interview type ids: {', '.join(config.interview_type_ids)}\n"
        f"  deals: {len(config.deals)}; admin: http://{host}:{port}/_admin/requests",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn_config(create_app(config), loop=args.loop, http=args.http, log_level=args.log_level)
    )
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
