"""`relais keys rotate|generate|status`: encryption keys."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais
from storage.crypto import format_key_line, generate_key
from storage.rotation import pending_rotation

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="encryption keys: rotate, generate, status")
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    rotate = sub.add_parser(
        "rotate", help="add a key and re-encrypt everything (resumes an unfinished rotation)"
    )
    rotate.add_argument(
        "--no-new-key",
        action="store_true",
        help="re-encrypt under the current last key (keys from RELAIS_KEYS)",
    )
    rotate.add_argument("--batch", type=int, default=500)
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(func=_rotate)
    generate = sub.add_parser("generate", help="print a new key line (for RELAIS_KEYS)")
    generate.add_argument("--id", default=f"k{datetime.now(UTC):%Y%m%d}", help="key id")
    generate.set_defaults(func=_generate)
    status = sub.add_parser("status", help="the active key and any unfinished rotation")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)


def _rotate(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        progress = await relais.rotate_keys(new_key=not args.no_new_key, batch=args.batch)
        if args.json:
            emit_json(
                {
                    "key": progress.target_key_id,
                    "rows": progress.rows_done,
                    "finished": progress.finished,
                    "resumed": progress.resumed,
                }
            )
        else:
            verb = "resumed and finished" if progress.resumed else "finished"
            print(
                f"rotation to key {progress.target_key_id} {verb}: {progress.rows_done} rows "
                "re-encrypted. Restart running relais processes so they load the new key."
            )
        return 0

    return with_relais(args, run)


def _generate(args: argparse.Namespace) -> int:
    print(format_key_line(args.id, generate_key()))
    return 0


def _status(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        pending = await pending_rotation(relais.db)
        known = [kid for kid, _ in relais.db.keys.keys]
        info = {
            "active_key": relais.db.keys.active_id,
            "keys": known,
            "unfinished_rotation_to": pending[1] if pending else None,
        }
        if args.json:
            emit_json(info)
        else:
            print(f"active key {relais.db.keys.active_id} (known: {', '.join(known)})")
            if pending:
                print(f"unfinished rotation to {pending[1]}: run `relais keys rotate`")
        return 0

    return with_relais(args, run)
