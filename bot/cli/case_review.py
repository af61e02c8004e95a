"""`relais case review-pack|decision|decisions`: the monthly review from the command line.

- `review-pack CODE [--month 2026-11] [--format md|html] [-o FILE] [--lang fr] [--json]`: the
  case's review pack (default: last month, in the owner's time zone), audited as the operator
  (`--as NAME`: as that practitioner, who must be allowed to read the case's notes).
- `decision CODE TEXT --as NAME`: record a decision (its author is that practitioner);
  `decision CODE --done N [--outcome TEXT] --as NAME` (`--dropped N`, `--reopen N`).
- `decisions CODE [--as NAME] [--json]`: the case's decisions, numbered.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.chat.catalog import LANGUAGES, Catalog
from bot.cli.cmd_db import emit_json, with_relais, write_private
from bot.config import load_config
from bot.errors import InvalidInput
from bot.reports.documents import FORMATS
from bot.review.decisions import DecisionView
from bot.review.render import pack_values, render_review_pack

__all__ = ["register_review"]


def register_review(sub: Any) -> None:
    """Add the review's actions to `relais case`."""
    pack = sub.add_parser("review-pack", help="a case's monthly review pack (md or html)")
    pack.add_argument("code")
    pack.add_argument("--month", default="", help="e.g. 2026-11 (default: last month)")
    pack.add_argument("--format", choices=FORMATS, default="md", dest="fmt")
    pack.add_argument("-o", "--output", metavar="FILE", help="write here, mode 0600")
    pack.add_argument("--lang", choices=LANGUAGES, default=None)
    pack.add_argument("--as", dest="as_name", metavar="NAME", help="as this practitioner")
    pack.add_argument("--json", action="store_true", help="the pack's values as JSON")
    pack.set_defaults(func=_review_pack)

    decision = sub.add_parser("decision", help="record or settle a review decision")
    decision.add_argument("code")
    decision.add_argument("text", nargs="?", default="", help="the decision (to record one)")
    settle = decision.add_mutually_exclusive_group()
    settle.add_argument("--done", type=int, metavar="N", help="decision N was carried out")
    settle.add_argument("--dropped", type=int, metavar="N", help="decision N was given up")
    settle.add_argument("--reopen", type=int, metavar="N", help="decision N is open again")
    decision.add_argument("--outcome", default="", help="what became of it")
    decision.add_argument("--as", dest="as_name", metavar="NAME", required=True)
    decision.add_argument("--json", action="store_true")
    decision.set_defaults(func=_decision)

    listing = sub.add_parser("decisions", help="a case's review decisions, numbered")
    listing.add_argument("code")
    listing.add_argument("--as", dest="as_name", metavar="NAME", help="as this practitioner")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_decisions)


def _review_pack(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    catalog = Catalog.load(config.content_path)
    lang = args.lang or config.default_language

    async def run(relais: Relais) -> int:
        if args.as_name:
            actor = await relais.reporter_named(args.as_name)
            pack = await relais.review_pack(actor, args.code, args.month)
        else:
            pack = await relais.operator_review_pack(args.code, args.month)
        if args.json:
            emit_json(pack_values(pack, catalog, lang, config.content_path)["pack"])
            return 0
        text = render_review_pack(
            pack, content_dir=config.content_path, catalog=catalog, lang=lang, fmt=args.fmt
        )
        if args.output:
            write_private(Path(args.output), text)
            print(f"review pack of {pack.case_code} for {pack.month} written to {args.output}")
        else:
            print(text, end="" if text.endswith("\n") else "\n")
        return 0

    return with_relais(args, run)


def _print_decisions(views: list[DecisionView]) -> None:
    for view in views:
        print(f"{view.number}. [{view.status}] {view.text}")
        print(f"   taken {view.taken_at:%Y-%m-%d %H:%M} UTC by {view.taken_by}")
        if view.settled_at:
            print(f"   {view.status} {view.settled_at:%Y-%m-%d %H:%M} UTC by {view.settled_by}")
        if view.outcome:
            print(f"   outcome: {view.outcome}")


def _decision(args: argparse.Namespace) -> int:
    flags = ((args.done, "done"), (args.dropped, "dropped"), (args.reopen, "open"))
    settle = [(number, status) for number, status in flags if number is not None]
    if settle and args.text:
        raise InvalidInput(
            "give either a decision's text (to record it) or --done/--dropped/--reopen N"
        )
    if not settle and not args.text.strip():
        raise InvalidInput(
            "give the decision's text, or --done/--dropped/--reopen N to settle one"
        )

    async def run(relais: Relais) -> int:
        actor = await relais.reporter_named(args.as_name)
        if settle:
            number, status = settle[0]
            view = await relais.settle_decision(actor, args.code, number, status, args.outcome)
        else:
            view = await relais.record_decision(actor, args.code, args.text)
        if args.json:
            emit_json({"case": args.code.strip().upper(), **view.to_dict()})
        else:
            print(f"decision {view.number} on {args.code.strip().upper()}: {view.status}")
        return 0

    return with_relais(args, run)


def _decisions(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        if args.as_name:
            actor = await relais.reporter_named(args.as_name)
            views = await relais.list_decisions(actor, args.code)
        else:
            views = await relais.operator_decisions(args.code)
        if args.json:
            emit_json([view.to_dict() for view in views])
        elif views:
            _print_decisions(views)
        else:
            print(f"no decision recorded on {args.code.strip().upper()}")
        return 0

    return with_relais(args, run)
