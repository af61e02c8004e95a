"""`relais report evaluation`: the monthly evaluation report (issue 18), Markdown or HTML with
SVG charts, from the editable template `content/templates/evaluation.<md|html>.j2`.

Without `--as NAME` the operator generates it for every team (or `--team NAME`); with it, the
operator acts for that psychologist or coordinator, who may generate it for their own team
only (`Action.EVALUATION_REPORT`). Counts only: no case code, no name, no typed text.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.chat.catalog import LANGUAGES, Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.cli.cmd_db import with_relais, write_private
from bot.config import load_config
from bot.errors import InvalidInput
from bot.reports.evaluation import FORMATS, render_evaluation, start_nodes

__all__ = ["register"]


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="reports for the programme")
    sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    evaluation = sub.add_parser(
        "evaluation",
        help="what Relais did in one month, per team: counts and charts, no personal data",
    )
    evaluation.add_argument(
        "--month", default="", help="the month, e.g. 2026-11 (default: the current month)"
    )
    evaluation.add_argument("--format", choices=FORMATS, default="md", dest="fmt")
    evaluation.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    evaluation.add_argument("--team", metavar="NAME", help="one team only (operator)")
    evaluation.add_argument(
        "--lang", choices=LANGUAGES, default=None, help="language (default: the configured one)"
    )
    evaluation.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        help="generate it as this psychologist or coordinator (their team only)",
    )
    evaluation.set_defaults(func=_evaluation)


def _evaluation(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    content = config.content_path
    dialogs = DialogRegistry.from_content(content)
    catalog = Catalog.load(content)
    lang = args.lang or config.default_language

    async def run(relais: Relais) -> int:
        starts = start_nodes(dialogs)
        if args.as_name:
            if args.team:
                raise InvalidInput(
                    "--team is for the operator: with --as, the report is "
                    "for that practitioner's own team"
                )
            actor = await relais.reporter_named(args.as_name)
            report = await relais.evaluation_report(actor, args.month, starts)
        else:
            report = await relais.operator_evaluation_report(args.month, args.team, starts)
        text = render_evaluation(
            report, content_dir=content, catalog=catalog, dialogs=dialogs, lang=lang, fmt=args.fmt
        )
        if args.output:
            write_private(Path(args.output), text)
            print(f"evaluation report for {report.month} written to {args.output}")
        else:
            print(text, end="" if text.endswith("\n") else "\n")
        return 0

    return with_relais(args, run)
