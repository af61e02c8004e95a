"""`relais audit verify|head|export`: the tamper-evident audit log."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais
from storage.audit_anchor import format_head

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="verify or export the audit log")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser(
        "verify",
        help="check the HMAC chain and the anchors kept outside the database; name any "
        "tampered, deleted or wiped entry",
    )
    verify.add_argument(
        "--expect-head",
        metavar="SEQ:HASH",
        default="",
        help="a head noted earlier (`relais audit head`): the log must still hold that entry",
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_verify)
    head = sub.add_parser("head", help="print the chain's head as SEQ:HASH, to keep elsewhere")
    head.add_argument("--json", action="store_true")
    head.set_defaults(func=_head)
    export = sub.add_parser("export", help="the audit trail of one case")
    export.add_argument("--case", required=True, metavar="CODE")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=_export)


def _verify(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        report = await relais.audit_verify(args.expect_head)
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
            anchored = (
                "checked against the anchors in " + relais.config.audit.anchor_file
                if relais.config.audit.anchor_file
                else "no anchor file configured: keep the head elsewhere to detect truncation"
            )
            print(
                f"audit log intact: {report.entries} entries, head "
                f"{format_head(report.head_seq, report.head_hash)} ({anchored})"
            )
        else:
            for problem in report.problems:
                print(f"TAMPERED: {problem.message}")
        return 0 if report.ok else 1

    return with_relais(args, run)


def _head(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        seq, digest = await relais.audit_head()
        if args.json:
            emit_json({"seq": seq, "hash": digest, "head": format_head(seq, digest)})
        else:
            print(format_head(seq, digest))
        return 0

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
