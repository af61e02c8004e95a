"""The structured exit from the command line (issue 16), under `relais case`:

    relais case exit-report K-7F3A [--format md|html] [-o FILE] [--lang fr] [--json]
    relais case close K-7F3A [--follow-up | --no-follow-up]

`exit-report` renders `content/templates/exit_report.<md|html>.j2` (`--json`: the answers as
data instead). `close` offers the post-exit follow-up of `content/exit_report.yaml`: with
`--follow-up` the case is closed and the owner's follow-up check-ins are scheduled in one
transaction; without either flag the operator is asked on a terminal (elsewhere: no follow-up,
and the command that schedules it is printed; it works on a case already closed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.chat.catalog import LANGUAGES, Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.checkins.operator import CheckinOperator, PostExitCheckin
from bot.cli.cmd_db import emit_json, with_relais, write_private
from bot.config import load_config
from bot.exit.plan import load_exit_plan
from bot.exit.report import FORMATS, render_exit_report
from bot.exit.usecases import ExitReport

__all__ = ["close", "register"]


def register(sub: Any) -> None:
    """Add `exit-report` to the `relais case` subcommands."""
    report = sub.add_parser("exit-report", help="the exit report of a case (Markdown or HTML)")
    report.add_argument("code")
    report.add_argument("--format", choices=FORMATS, default="md", dest="fmt")
    report.add_argument("-o", "--output", metavar="FILE", help="write here (mode 0600)")
    report.add_argument("--lang", choices=LANGUAGES, default=None, help="default: configured")
    report.add_argument("--json", action="store_true", help="the answers as JSON instead")
    report.set_defaults(func=_exit_report)


def add_follow_up_flag(close_parser: Any) -> None:
    close_parser.add_argument(
        "--follow-up",
        dest="follow_up",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="schedule the post-exit follow-up check-ins for the case owner (asked if omitted)",
    )


def _answers_json(report: ExitReport) -> dict[str, Any]:
    progress = report.progress
    return {
        "case": report.case.code,
        "status": report.case.status,
        "owner": report.owner_name,
        "complete": not progress.missing,
        "missing": list(progress.missing),
        "answers": [
            {
                "element": a.element,
                "text": a.text,
                "author": a.author_name,
                "revision": a.revision,
                "updated_at": a.updated_at.isoformat(),
            }
            for a in sorted(progress.answers.values(), key=lambda a: _order(progress.elements, a))
        ],
        "contacts": [c.to_dict() for c in report.contacts],
        "follow_up": [
            {"due_at": f.due_at.isoformat() if f.due_at else None, "status": f.status}
            for f in report.follow_up
        ],
    }


def _order(elements: tuple[str, ...], answer: Any) -> tuple[int, str]:
    element = str(answer.element)
    return (elements.index(element) if element in elements else len(elements), element)


def _exit_report(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    content = config.content_path
    lang = args.lang or config.default_language

    async def run(relais: Relais) -> int:
        report = await relais.operator_exit_report(args.code)
        if args.json:
            emit_json(_answers_json(report))
            return 0
        text = render_exit_report(
            report,
            load_exit_plan(content),
            content_dir=content,
            catalog=Catalog.load(content),
            role_label=DialogRegistry.from_content(content).role_label,
            lang=lang,
            fmt=args.fmt,
            time_zone=config.checkins.default_time_zone,
        )
        if args.output:
            write_private(Path(args.output), text)
            print(f"exit report of {report.case.code} written to {args.output}")
        else:
            print(text, end="" if text.endswith("\n") else "\n")
        return 0

    return with_relais(args, run)


def _offer(labels: list[str]) -> bool:
    """Ask on a terminal whether to schedule the follow-up (no terminal: no)."""
    if not sys.stdin.isatty():
        return False
    answer = input(
        "Schedule the post-exit follow-up for the case owner (" + "; ".join(labels) + ")? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes", "o", "oui")


def close(args: argparse.Namespace) -> int:
    """`relais case close CODE [--follow-up | --no-follow-up]`."""
    config = load_config(args.config)
    lang = config.default_language
    plan = load_exit_plan(config.content_path)
    labels = [step.label.get(lang, step.label["en"]) for step in plan.follow_up]
    follow_up = args.follow_up
    asked = follow_up is None
    if asked:
        follow_up = _offer(labels)

    async def run(relais: Relais) -> int:
        made: list[PostExitCheckin] = []
        if follow_up:
            operator = CheckinOperator(relais, relais.config, relais.clock)
            case, made = await operator.close_with_follow_up(args.code)
        else:
            case = await relais.close_case(args.code)
        if args.json:
            emit_json(
                {
                    "code": case.code,
                    "status": case.status,
                    "follow_up": [
                        {"due_at": m.due_at.isoformat(), "label": m.label.get(lang, "")}
                        for m in made
                    ],
                }
            )
            return 0
        print(f"case {case.code} closed")
        for step in made:
            label = step.label.get(lang, step.label["en"])
            print(f"  {label}: {step.due_at:%Y-%m-%d %H:%M} UTC (check-in {step.schedule_id})")
        if not follow_up and asked:
            print(
                "no post-exit follow-up scheduled; to schedule it (check-ins for the case owner: "
                f"{'; '.join(labels)}): relais case close {case.code} --follow-up"
            )
        return 0

    return with_relais(args, run)
