"""`relais case create|add-member|remove-member|set-owner|close|list|export|erase|exit-report`;
the case's course (`set-release`, `handover`, `sharing`, `export --for`) is in
`bot.cli.case_course`, the monthly review's `review-pack|decision|decisions` in
`bot.cli.case_review`, the exit report in `bot.cli.case_exit`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.cli import case_exit
from bot.cli.case_course import iso_date, print_handover, register_case_course
from bot.cli.case_review import register_review
from bot.cli.cmd_db import confirm, emit_json, with_relais, write_private
from storage.records import Case, CaseMember

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("case", help="cases: create, members, close, export, erase")
    sub = parser.add_subparsers(dest="case_command", metavar="ACTION", required=True)

    create = sub.add_parser("create", help="open a case under a pseudonymous code")
    create.add_argument("code")
    create.add_argument("--owner", required=True, help="the practitioner responsible")
    create.add_argument("--team")
    create.add_argument("--release", type=iso_date, metavar="YYYY-MM-DD", help="release date")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=_create)

    add = sub.add_parser("add-member", help="add a practitioner to a case")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--role", required=True)
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=_add_member)

    remove = sub.add_parser("remove-member", help="remove a practitioner from a case")
    remove.add_argument("code")
    remove.add_argument("name")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=_remove_member)

    owner = sub.add_parser("set-owner", help="make a practitioner the case owner")
    owner.add_argument("code")
    owner.add_argument("name")
    owner.add_argument("--json", action="store_true")
    owner.set_defaults(func=_set_owner)

    close = sub.add_parser("close", help="close a case (kept, no new notes)")
    close.add_argument("code")
    close.add_argument("--json", action="store_true")
    case_exit.add_follow_up_flag(close)  # the post-exit follow-up (issue 16)
    close.set_defaults(func=case_exit.close)
    case_exit.register(sub)  # relais case exit-report

    listing = sub.add_parser("list", help="list cases with owners and members")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    export = sub.add_parser("export", help="everything held on a case, as JSON")
    export.add_argument("code")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE (mode 0600)")
    export.add_argument(
        "--for",
        dest="recipient",
        metavar="AGENCY",
        help="only what the case's sharing record allows this agency (and what was left out)",
    )
    export.add_argument("--json", action="store_true", help="JSON (the only format)")
    export.set_defaults(func=_export)

    erase = sub.add_parser("erase", help="delete a case and everything on it")
    erase.add_argument("code")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.add_argument("--json", action="store_true")
    erase.set_defaults(func=_erase)
    register_review(sub)  # review-pack, decision, decisions (bot.cli.case_review)

    register_case_course(sub)


def _case_dict(case: Case, members: list[CaseMember], names: dict[str, str]) -> dict[str, Any]:
    return {
        "code": case.code,
        "status": case.status,
        "owner": names.get(case.owner_id, case.owner_id),
        "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "members": [
            {"name": names.get(m.practitioner_id, m.practitioner_id), "role": m.role}
            for m in members
        ],
    }


async def _names(relais: Relais) -> dict[str, str]:
    return {p.id: p.name for p, _team in await relais.list_practitioners()}


def _create(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        case = await relais.create_case(args.code, owner=args.owner, team=args.team)
        plan = await relais.cli_set_release(case.code, args.release) if args.release else None
        if args.json:
            data = _case_dict(case, [], await _names(relais))
            emit_json({**data, "handover": plan.to_dict()} if plan else data)
        else:
            print(f"case {case.code} created")
            if plan is not None:
                print_handover(plan)
        return 0

    return with_relais(args, run)


def _add_member(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        member = await relais.add_member(args.code, args.name, role=args.role)
        if args.json:
            emit_json(
                {
                    "case": args.code.upper(),
                    "practitioner_id": member.practitioner_id,
                    "role": member.role,
                }
            )
        else:
            print(f"added to {args.code.upper()} as {member.role}")
        return 0

    return with_relais(args, run)


def _remove_member(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        removed = await relais.remove_member(args.code, args.name)
        if args.json:
            emit_json({"case": args.code.strip().upper(), "removed": removed})
        else:
            print("removed" if removed else "was not a member")
        return 0

    return with_relais(args, run)


def _set_owner(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        await relais.set_owner(args.code, args.name)
        if args.json:
            emit_json({"case": args.code.strip().upper(), "owner_changed": True})
        else:
            print(f"owner of {args.code.upper()} changed")
        return 0

    return with_relais(args, run)


def _list(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        cases = await relais.all_cases()
        names = await _names(relais)
        rows = [_case_dict(c, members, names) for c, members in cases]
        if args.json:
            emit_json(rows)
            return 0
        for row in rows:
            members = ", ".join(f"{m['name']} ({m['role']})" for m in row["members"]) or "-"
            print(f"{row['code']} [{row['status']}] owner {row['owner']}; members: {members}")
        if not rows:
            print("no case yet: `relais case create CODE --owner NAME`")
        return 0

    return with_relais(args, run)


def _export(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        if args.recipient is not None:
            data = await relais.export_case_for(args.code, args.recipient)
        else:
            data = await relais.export_case(args.code)
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if args.output:
            path = Path(args.output)
            write_private(path, text + "\n")
            print(f"case {data['case']['code']} exported to {path}")
        else:
            print(text)
        return 0

    return with_relais(args, run)


def _erase(args: argparse.Namespace) -> int:
    code = args.code.strip().upper()
    confirm(args, code, f"Erase case {code} and every note on it, for good")

    async def run(relais: Relais) -> int:
        result = await relais.erase_case(code)
        if args.json:
            emit_json({"case": result.case_code, "notes_erased": result.notes_erased})
        else:
            print(
                f"case {result.case_code} erased ({result.notes_erased} notes); "
                "the audit log records the erasure"
            )
        return 0

    return with_relais(args, run)
