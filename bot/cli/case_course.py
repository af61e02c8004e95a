"""`relais case set-release|handover|sharing` and `case export --for` (issue 16).

    relais case create K-7F3A --owner Mina --release 2027-01-15
    relais case set-release K-7F3A 2027-01-22 [--json]
    relais case handover K-7F3A [--json]
    relais case sharing K-7F3A [--json]                          (show the record)
    relais case sharing K-7F3A --allow "Probation:risk,progress" --allow "Housing office:practical"
        --signed 2026-11-02 --signed-by "J. Martin" --review 2027-05-01 --person-informed yes
    relais case export K-7F3A --for Probation [-o FILE]

`--allow` sets (or adds) a recipient's categories and keeps the others; `--replace` starts the
list afresh; `--remove NAME` drops one. Categories: content/lifecycle/sharing.yaml.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais
from bot.errors import InvalidInput
from bot.lifecycle.content import sharing_rules
from bot.usecases.handover import HandoverView
from bot.usecases.sharing import SharingChange, SharingView, parse_allowance

__all__ = ["iso_date", "print_handover", "register_case_course"]


def iso_date(text: str) -> date:
    """An argparse type: YYYY-MM-DD, or a message naming what was found."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date YYYY-MM-DD (e.g. 2027-01-15), found {text!r}"
        ) from None


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "no"):
        return text.lower() == "yes"
    raise argparse.ArgumentTypeError(f"expected yes or no, found {text!r}")


def register_case_course(sub: Any) -> None:
    release = sub.add_parser("set-release", help="set or move a case's release date and plan")
    release.add_argument("code")
    release.add_argument("release_on", metavar="YYYY-MM-DD", type=iso_date)
    release.add_argument("--json", action="store_true")
    release.set_defaults(func=_set_release)

    handover = sub.add_parser("handover", help="release date, handover check-ins, checklist")
    handover.add_argument("code")
    handover.add_argument("--json", action="store_true")
    handover.set_defaults(func=_handover)

    sharing = sub.add_parser("sharing", help="show or change a case's information-sharing record")
    sharing.add_argument("code")
    sharing.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="RECIPIENT:CATEGORIES",
        help='e.g. "Probation:risk,progress" (repeat for each agency or role)',
    )
    sharing.add_argument("--remove", action="append", default=[], metavar="RECIPIENT")
    sharing.add_argument("--replace", action="store_true", help="--allow replaces every recipient")
    sharing.add_argument("--signed", type=iso_date, metavar="YYYY-MM-DD", help="form signed on")
    sharing.add_argument("--signed-by", metavar="WHO", help="who signed the form")
    sharing.add_argument("--review", type=iso_date, metavar="YYYY-MM-DD", help="review by")
    sharing.add_argument("--person-informed", type=_yes_no, metavar="yes|no")
    sharing.add_argument("--json", action="store_true")
    sharing.set_defaults(func=_sharing)


def print_handover(view: HandoverView) -> None:
    release = view.release_on.isoformat() if view.release_on else "no release date"
    print(f"{view.case_code}: {release}")
    for step in view.steps:
        print(f"  {step.due_at.isoformat()}  {step.step_id:<12} {step.status}")
    for state in view.items:
        print(f"  [{'x' if state.done else ' '}] {state.item.id}: {state.item.text('en')}")


def _set_release(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        view = await relais.cli_set_release(args.code, args.release_on)
        emit_json(view.to_dict()) if args.json else print_handover(view)
        return 0

    return with_relais(args, run)


def _handover(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        view = await relais.cli_handover(args.code)
        emit_json(view.to_dict()) if args.json else print_handover(view)
        return 0

    return with_relais(args, run)


def _print_sharing(view: SharingView) -> None:
    record = view.record
    if record is None:
        print(f"{view.case_code}: no sharing record (set one with --allow)")
        return
    print(f"{view.case_code}:")
    for allowance in record.allowed:
        print(f"  {allowance.recipient}: {', '.join(allowance.categories)}")
    signed = record.signed_on.isoformat() if record.signed_on else "-"
    print(f"  signed {signed} by {record.signed_by or '-'}")
    due = " (due: the owner is reminded)" if view.review_due else ""
    print(f"  review {record.review_on.isoformat() if record.review_on else '-'}{due}")
    informed = {True: "yes", False: "no", None: "not recorded"}[record.person_informed]
    print(f"  person informed: {informed}")


def _sharing(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        rules = sharing_rules(relais.config.content_path)
        change = SharingChange(
            allow=tuple(parse_allowance(text, rules) for text in args.allow),
            remove=tuple(args.remove),
            replace=args.replace,
            signed_on=args.signed,
            signed_by=args.signed_by,
            review_on=args.review,
            person_informed=args.person_informed,
        )
        if args.replace and not args.allow:
            raise InvalidInput("--replace needs the new list: give it with --allow")
        if change == SharingChange():
            view = await relais.cli_sharing(args.code)
        else:
            view = await relais.cli_set_sharing(args.code, change)
        emit_json(view.to_dict()) if args.json else _print_sharing(view)
        return 0

    return with_relais(args, run)
