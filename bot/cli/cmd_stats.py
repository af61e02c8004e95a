"""`relais stats [DIALOG] [--since 30d] [--version N] [--lang en] [--team NAME] [--json]
[--format svg|png -o FILE]`: how the guidance is used, per dialog version, language and node
(visits, options chosen, exits, /sos, pages, emergency screens, median time), and the crisis
referrals by dialog and entry point. Counts only, never a person; below `[evaluation]
min_count` a figure reads "< 5", and one that would give a small one away by subtraction
"withheld" (README, "Evidence: usage figures")."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.stats_view import report_json, report_text, usage_picture
from bot.cli.cmd_db import emit_json, with_relais
from bot.config import parse_duration
from bot.errors import InvalidInput, NotFound
from bot.usecases.feedback import FeedbackFigures, feedback_figures
from dialogs.errors import DialogError, GraphvizMissing
from dialogs.graph import render_dot
from dialogs.model import Dialog

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="usage figures per dialog node and crisis-referral counts (no person in them)",
        description="Per dialog version and language, per node: visits, options chosen, "
        "exits (completed, cancelled, abandoned for another dialog, timed out), /sos pressed, "
        "pages and emergency screens, median time on the node; and how many conversations "
        "reached a page of a human or an emergency screen, by dialog and entry point. "
        'Figures below [evaluation] min_count read "< 5", and a figure that would give one '
        "away by subtraction (every team's against --team's) \"withheld\". With --format, a "
        "picture of the dialog: nodes shaded by visits, edges by choices, where people stopped "
        'in red, the answers to "Did this help?" under it.',
    )
    parser.add_argument("dialog", nargs="?", default=None, metavar="DIALOG")
    parser.add_argument("--since", default="30d", metavar="DURATION", help="default: 30d")
    parser.add_argument("--version", type=int, default=None, metavar="N")
    parser.add_argument("--lang", default=None, metavar="LANG", help="one language only")
    parser.add_argument(
        "--team", default=None, metavar="NAME", help="one team's figures (default: every team)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--format", choices=("svg", "png", "dot"), default=None)
    parser.add_argument("-o", "--output", metavar="FILE", help="where the picture goes")
    parser.set_defaults(func=_stats)


def _stats(args: argparse.Namespace) -> int:
    since = parse_duration(args.since, "--since")
    if args.format and not (args.dialog and args.output):
        raise InvalidInput(
            "a picture needs a DIALOG and -o FILE, e.g. stats crisis --format svg -o crisis.svg"
        )

    drawn: list[tuple[str, str]] = []

    async def run(relais: Relais) -> int:
        if args.format:
            drawn.append(await _picture(relais, args, since))
            return 0
        report = await relais.usage_stats(
            args.dialog, since, version=args.version, lang=args.lang, team=args.team
        )
        reports = await relais.referrals_by_team(since=report.since, dialog_id=args.dialog)
        every = reports[-1]  # every team together (or the one asked for)
        if args.team is not None:
            every = next(r for r in reports if r.team_id is not None and r.team == args.team)
        # the answers are not kept per team (no key that could narrow them to a person)
        feedback = (
            None
            if args.team
            else await _feedback(relais, args.dialog, report.since, report.until, args)
        )
        if args.json:
            emit_json(report_json(report, every, feedback))
        else:
            print(report_text(report, every, feedback), end="")
        return 0

    code = with_relais(args, run)
    return _draw(args, *drawn[0]) if code == 0 and drawn else code


async def _feedback(
    relais: Relais,
    dialog_id: str | None,
    since: date,
    until: date,
    args: argparse.Namespace,
) -> list[FeedbackFigures]:
    """The answers to "Did this help?" over [since, until), counts only (comments are for
    psychologists, in the chat), for the same version and language as the usage figures."""
    window = await relais.feedback_stats(dialog_id, since=since, until=until - timedelta(days=1))
    counts = [
        c
        for c in window.counts
        if (args.version is None or c.dialog_version == args.version)
        and (args.lang is None or c.lang == args.lang)
    ]
    return feedback_figures(counts, relais.config.evaluation.min_count)


async def _dialog(relais: Relais, dialog_id: str, version: int | None) -> Dialog:
    """The dialog as published (or as bundled in content/ when never published)."""
    from bot.publishing.service import PublishingService

    catalog = DialogRegistry.from_content(relais.config.content_path)
    await PublishingService(relais, catalog, relais.config, relais.clock).refresh(replace=True)
    dialog = catalog.source().get(dialog_id, version)
    if dialog is None:
        which = f"{dialog_id} version {version}" if version else dialog_id
        raise NotFound(f"no dialog {which} (see relais dialogs versions)")
    return dialog


async def _picture(relais: Relais, args: argparse.Namespace, since: Any) -> tuple[str, str]:
    """The DOT source of the dialog drawn with its figures, and a line saying what it is."""
    dialog = await _dialog(relais, args.dialog, args.version)
    report = await relais.usage_stats(
        dialog.id,
        since,
        version=dialog.version,
        lang=args.lang,
        all_languages=not args.lang,
        team=args.team,
    )
    figures = report.versions[0] if report.versions else None
    # the answers are not kept per team (no key that could narrow them to a person)
    last = report.until - timedelta(days=1)
    answers = (
        []
        if args.team
        else (await relais.feedback_stats(dialog.id, since=report.since, until=last)).counts
    )
    source = usage_picture(dialog, figures, answers, relais.config.evaluation.min_count, args.lang)
    what = f"{dialog.id} version {dialog.version} since {report.since}"
    return source, what


def _draw(args: argparse.Namespace, source: str, what: str) -> int:
    try:
        data = source.encode("utf-8") if args.format == "dot" else render_dot(source, args.format)
    except (GraphvizMissing, DialogError) as exc:
        print(f"relais: {exc}")
        return 1
    Path(args.output).write_bytes(data)
    print(f"wrote {args.output}: {what}")
    return 0
