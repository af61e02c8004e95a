"""`relais checkins list|add|pause|resume|cancel`: check-in schedules from the command line.

    relais checkins add K-7F3A --weekly MO --at 09:00 [--remind NAME] [--escalate-to NAME]
    relais checkins add K-7F3A --every 3 --at 18:00 [--from 2026-02-01]
    relais checkins add K-7F3A --monthly 1 --at 10:00            (the monthly review)
    relais checkins add K-7F3A --once 2026-03-02T09:00           (local time in --tz)
    relais checkins list [--case K-7F3A] [--json]
    relais checkins pause|resume|cancel SCHEDULE_ID [--json]

Times are wall-clock times in `--tz`, else the reminded practitioner's time zone. The running
bot picks a new schedule up within `checkins.poll_interval`.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from bot.app import Relais
from bot.checkins.operator import CheckinOperator
from bot.cli.cmd_db import emit_json, with_relais
from bot.config import parse_duration
from bot.errors import InvalidInput
from storage.recurrence import WEEKDAYS

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("checkins", help="check-in schedules: list, add, pause")
    sub = parser.add_subparsers(dest="checkins_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="active and paused check-in schedules")
    listing.add_argument("--case", help="only this case")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    add = sub.add_parser("add", help="schedule a recurring or one-off check-in on a case")
    add.add_argument("case")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--weekly", metavar="DAY", help=f"weekday: {' '.join(WEEKDAYS)}")
    when.add_argument("--every", metavar="N", type=int, help="every N days")
    when.add_argument("--monthly", metavar="DAY", type=int, help="day of the month (1-31)")
    when.add_argument("--once", metavar="YYYY-MM-DDTHH:MM", help="one-off, local time")
    add.add_argument("--at", metavar="HH:MM", help="local time of a recurring check-in")
    add.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (--every)")
    add.add_argument("--tz", help="IANA time zone (default: the reminded practitioner's)")
    add.add_argument("--remind", metavar="NAME", help="who is reminded (default: case owner)")
    add.add_argument("--escalate-to", metavar="NAME", help="default: the case owner")
    add.add_argument("--grace", metavar="DURATION", help="e.g. 2h (default: checkins config)")
    add.add_argument("--urgent", action="store_true", help="ignore quiet hours")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=_add)

    for action, text in (
        ("pause", "stop reminding until resumed (running escalations go on)"),
        ("resume", "resume a paused schedule from now"),
        ("cancel", "end a schedule for good"),
    ):
        cmd = sub.add_parser(action, help=text)
        cmd.add_argument("schedule_id")
        cmd.add_argument("--json", action="store_true")
        cmd.set_defaults(func=_set_status, action=action)


def _service(relais: Relais) -> CheckinOperator:
    return CheckinOperator(relais, relais.config, relais.clock)


def rule_text(args: argparse.Namespace) -> str:
    """The stored rule for the add options (see `storage.recurrence.parse_rule`)."""
    if args.once:
        if args.at or args.start:
            raise InvalidInput("--once takes a full local time; --at and --from do not apply")
        return f"once-local:{args.once}"
    if not args.at:
        raise InvalidInput("a recurring check-in needs --at HH:MM")
    if args.weekly:
        if args.start:
            raise InvalidInput("--from applies to --every only")
        return f"weekly:{args.weekly.strip().upper()[:2]}@{args.at}"
    if args.monthly is not None:
        if args.start:
            raise InvalidInput("--from applies to --every only")
        return f"monthly:{args.monthly}@{args.at}"
    if args.start:
        date.fromisoformat(args.start)
        return f"every:{args.every}d@{args.at} from {args.start}"
    return f"every:{args.every}d@{args.at}"  # from today, in the schedule's zone


def _list(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        items = await _service(relais).cli_list(args.case)
        if args.json:
            emit_json([item.to_dict() for item in items])
            return 0
        if not items:
            print("no check-in schedules")
        for item in items:
            when = item.next_at.isoformat(timespec="minutes") if item.next_at else "-"
            urgent = " urgent" if item.urgent else ""
            line = f"{item.schedule_id}  {item.case_code}  {item.status:9} {when}  {item.rule}"
            print(line + urgent)
        return 0

    return with_relais(args, run)


def _add(args: argparse.Namespace) -> int:
    text = rule_text(args)
    grace = parse_duration(args.grace, "--grace") if args.grace else None

    async def run(relais: Relais) -> int:
        sid, due = await _service(relais).cli_add(
            args.case,
            text,
            time_zone=args.tz,
            remind=args.remind,
            escalate_to=args.escalate_to,
            grace=grace,
            urgent=args.urgent,
        )
        if args.json:
            emit_json(
                {
                    "schedule_id": sid,
                    "case": args.case.strip().upper(),
                    "first_due": due.isoformat() if due else None,
                }
            )
        else:
            print(f"check-in {sid} scheduled, first due {due.isoformat() if due else '-'}")
        return 0

    return with_relais(args, run)


def _set_status(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        status = await _service(relais).cli_set_status(args.schedule_id, args.action)
        if args.json:
            emit_json({"schedule_id": args.schedule_id, "status": status})
        else:
            print(f"check-in {args.schedule_id} is {status}")
        return 0

    return with_relais(args, run)
