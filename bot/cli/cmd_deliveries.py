"""`relais deliveries [--failed] [--since 24h] [--json]`: every outgoing reminder, escalation,
page and alert with its status (queued, sent, late, acknowledged, failed with its reason,
unreachable). Ids, kinds and case codes only: no text of a message is shown."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Relais
from bot.checkins.operator import CheckinOperator
from bot.cli.cmd_db import emit_json, with_relais
from bot.config import parse_duration

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deliveries",
        help="outgoing reminders, escalations and pages with their delivery status",
        description="Every message Relais queued for a practitioner since --since, newest "
        "first: queued (retrying when failures > 0), sent, late, acknowledged, failed (given "
        "up; the case owner and coordinators were told) or unreachable.",
    )
    parser.add_argument("--failed", action="store_true", help="only failed or retrying ones")
    parser.add_argument("--since", default="24h", metavar="DURATION", help="default: 24h")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=_deliveries)


def _deliveries(args: argparse.Namespace) -> int:
    since = parse_duration(args.since, "--since")

    async def run(relais: Relais) -> int:
        operator = CheckinOperator(relais, relais.config, relais.clock)
        items = await operator.cli_deliveries(since=since, failed_only=args.failed)
        if args.json:
            emit_json([item.to_dict() for item in items])
            return 0
        if not items:
            print(f"no {'failed ' if args.failed else ''}deliveries since {args.since}")
        for item in items:
            when = item.created_at.isoformat(timespec="seconds")
            reason = f"  {item.reason}" if item.reason else ""
            tries = f"  failures={item.failures}" if item.failures else ""
            print(
                f"{when}  {item.status:12} {item.kind:14} {item.case_code or '-':10} "
                f"to {item.recipient_id or '-'}  via {item.channel or '-'}{tries}{reason}"
            )
        return 0

    return with_relais(args, run)
