"""`relais team list|set`: a team's settings; today, the day of its monthly case reviews."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais
from bot.review.schedule import ReviewDay

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("team", help="team settings: the monthly review day")
    sub = parser.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every team and its review day")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    change = sub.add_parser("set", help="change a team's settings")
    change.add_argument("--team", help="the team (needed when there are several)")
    day = change.add_mutually_exclusive_group(required=True)
    day.add_argument(
        "--review-day",
        type=int,
        metavar="N",
        help="day of the month of the team's case reviews, 1-31 (29-31: the month's last day "
        "in shorter months); every open case's review check-in moves to it",
    )
    day.add_argument(
        "--default-review-day",
        action="store_true",
        help="back to the configured day ([checkins] review_day)",
    )
    change.add_argument("--json", action="store_true")
    change.set_defaults(func=_set)


def _as_dict(day: ReviewDay) -> dict[str, Any]:
    return {"team": day.team, "review_day": day.day, "own": day.own, "moved": day.moved}


def _list(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        days = await relais.review_days()
        if args.json:
            emit_json([_as_dict(day) for day in days])
            return 0
        for day in days:
            origin = "" if day.own else " (the configured default)"
            print(f"{day.team}: monthly reviews on day {day.day}{origin}")
        if not days:
            print("no team yet: `relais admin invite --team NAME ...` creates one")
        return 0

    return with_relais(args, run)


def _set(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        day = await relais.set_review_day(
            args.team, None if args.default_review_day else args.review_day
        )
        if args.json:
            emit_json(_as_dict(day))
        else:
            print(
                f"{day.team}: monthly reviews on day {day.day}; "
                f"{day.moved} open case(s) moved to it"
            )
        return 0

    return with_relais(args, run)
