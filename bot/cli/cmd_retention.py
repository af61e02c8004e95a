"""`relais retention apply`: delete notes past their retention period (idempotent)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("retention", help="apply the retention periods")
    sub = parser.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    apply = sub.add_parser("apply", help="delete notes older than [retention] says")
    apply.add_argument("--json", action="store_true")
    apply.set_defaults(func=_apply)


def _apply(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        result = await relais.apply_retention()
        if args.json:
            emit_json(result.to_dict())
        else:
            print(f"{result.notes_deleted} note(s) deleted on {result.cases} case(s)")
        return 0

    return with_relais(args, run)
