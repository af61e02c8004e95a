"""`relais audit verify|export`: the tamper-evident audit log."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="verify or export the audit log")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="check the HMAC chain; name any tampered entry")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_verify)
    export = sub.add_parser("export", help="the audit trail of one case")
    export.add_argument("--case", required=True, metavar="CODE")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=_export)


def _verify(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        report = await relais.audit_verify()
        if args.json:
            emit_json(
                {
                    "ok": report.ok,
                    "entries": report.entries,
                    "head_seq": report.head_seq,
                    "head_hash": report.head_hash,
                    "problems": [
                        {"seq": p.seq, "kind": p.kind, "message": p.message}
                        for p in report.problems
                    ],
                }
            )
        elif report.ok:
            print(
                f"audit log intact: {report.entries} entries, head {report.head_seq} "
                f"{report.head_hash[:16]} (note it down to detect truncation later)"
            )
        else:
            for problem in report.problems:
                print(f"TAMPERED: {problem.message}")
        return 0 if report.ok else 1

    return with_relais(args, run)


def _export(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        entries = await relais.audit_export(args.case)
        if args.json:
            emit_json([e.to_dict() for e in entries])
            return 0
        for e in entries:
            who = f"{e.actor_kind}:{e.actor_id}" if e.actor_id else e.actor_kind
            detail = " ".join(f"{k}={v}" for k, v in sorted(e.detail.items()))
            print(f"{e.at:%Y-%m-%d %H:%M:%S}Z #{e.seq} {e.action} [{e.outcome}] {who} {detail}")
        if not entries:
            print(f"no audit entry for case {args.case.upper()}")
        return 0

    return with_relais(args, run)
