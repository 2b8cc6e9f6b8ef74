"""``hindsight-ops``: operator commands on the results table (reads WAREHOUSE / DUCKDB_PATH
and, for ``resolve --sent``, HINDSIGHT_API_KEY / HINDSIGHT_API_URL to check the id)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date

from hindsight_pipeline.hindsight_api import DEFAULT_BASE_URL, HindsightClient, HindsightError
from hindsight_pipeline.interview_requests.controls import set_paused
from hindsight_pipeline.interview_requests.metadata import markdown_table
from hindsight_pipeline.interview_requests.operations import (
    Found,
    OperationRefused,
    mark_sent,
    requeue_failed,
    requeue_unconfirmed,
)
from hindsight_pipeline.interview_requests.schema import RESULTS_TABLE
from hindsight_pipeline.warehouse import warehouse_from_env


def _lookup(interview_request_id: int) -> Found | None:
    """What Hindsight holds for the id, if a key is configured (so a typo is caught)."""
    if not os.environ.get("HINDSIGHT_API_KEY"):
        return None
    with HindsightClient(
        os.environ.get("HINDSIGHT_API_URL") or DEFAULT_BASE_URL, os.environ["HINDSIGHT_API_KEY"]
    ) as client:
        interview = client.get_interview(interview_request_id)
    status = "created" if interview.status == "created" else "sent"
    return Found(status, interview.contact_id, interview.deal_id, interview.survey_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hindsight-ops", description=__doc__)
    parser.add_argument("--by", default=getpass.getuser(), help="who acts (recorded)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("pause", help="stop all sends (running runs stop claiming; nothing fails)")
    sub.add_parser("resume", help="allow sends again")
    listing = sub.add_parser("list", help="rows in a status (default unconfirmed)")
    listing.add_argument("--status", default="unconfirmed")
    resolve = sub.add_parser("resolve", help="resolve an unconfirmed row")
    resolve.add_argument("deal_id")
    resolve.add_argument("contact_id")
    what = resolve.add_mutually_exclusive_group(required=True)
    what.add_argument("--sent", type=int, metavar="INTERVIEW_REQUEST_ID", help="found in Hindsight")
    what.add_argument("--requeue", action="store_true", help="not in Hindsight: send it again")
    requeue = sub.add_parser("requeue-failed", help="failed rows back to pending_retry")
    requeue.add_argument("--day", type=date.fromisoformat)
    requeue.add_argument("--error-code")
    requeue.add_argument("--deal-id")
    args = parser.parse_args(argv)

    warehouse = warehouse_from_env()
    try:
        if args.command in ("pause", "resume"):
            set_paused(warehouse, args.command == "pause", by=args.by)
            print(f"sends {'paused' if args.command == 'pause' else 'resumed'}")
        elif args.command == "list":
            rows = warehouse.query_df(
                f"select deal_id, contact_id, contact_email, closed_lost_date, error_code, "
                f"last_attempted_at, dagster_run_id from {RESULTS_TABLE} where status = ? order by 4, 1",
                [args.status],
            )
            print(markdown_table(rows))
        elif args.command == "resolve" and args.sent is not None:
            mark_sent(
                warehouse,
                args.deal_id,
                args.contact_id,
                args.sent,
                by=args.by,
                found=_lookup(args.sent),
            )
            print(f"{args.deal_id}/{args.contact_id}: marked sent as interview {args.sent}")
        elif args.command == "resolve":
            requeue_unconfirmed(warehouse, args.deal_id, args.contact_id, by=args.by)
            print(f"{args.deal_id}/{args.contact_id}: requeued (pending_retry)")
        else:
            count = requeue_failed(
                warehouse,
                by=args.by,
                day=args.day,
                error_code=args.error_code,
                deal_id=args.deal_id,
            )
            print(f"{count} failed rows requeued (pending_retry)")
    except OperationRefused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2
    except HindsightError as error:  # the id could not be checked: nothing was changed
        print(f"Hindsight: {error} (nothing changed)", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
