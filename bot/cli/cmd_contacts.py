"""`relais contacts import FILE.toml | list`: the contacts directory and on-call rota."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.cli.cmd_db import emit_json, with_relais
from bot.errors import InvalidInput

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("contacts", help="the contacts directory and on-call rota")
    sub = parser.add_subparsers(dest="contacts_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="replace a team's directory and rota from a TOML file")
    imp.add_argument("file", metavar="FILE.toml")
    imp.add_argument("--team")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=_import)
    listing = sub.add_parser("list", help="show a team's directory and rota")
    listing.add_argument("--team")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)


def _import(args: argparse.Namespace) -> int:
    try:
        data = tomllib.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{args.file}: not valid TOML: {exc}") from exc

    async def run(relais: Relais) -> int:
        result = await relais.import_contacts(data, team=args.team)
        if args.json:
            emit_json(
                {"team": result.team, "contacts": result.contacts, "rota": result.rota_slots}
            )
        else:
            print(
                f"team {result.team!r}: {result.contacts} contact(s) and "
                f"{result.rota_slots} on-call slot(s) imported (previous entries replaced)"
            )
        return 0

    return with_relais(args, run)


def _list(args: argparse.Namespace) -> int:
    async def run(relais: Relais) -> int:
        contacts, rota = await relais.directory(team=args.team)
        by_id = {c.id: c for c in contacts}
        if args.json:
            emit_json(
                {
                    "contacts": [c.to_dict() for c in contacts],
                    "oncall": [
                        {
                            "role": s.role,
                            "contact": by_id[s.contact_id].key if s.contact_id in by_id else None,
                            "from": s.starts_at.isoformat(),
                            "to": s.ends_at.isoformat(),
                            "position": s.position,
                        }
                        for s in rota
                    ],
                }
            )
            return 0
        for c in contacts:
            print(f"{c.role}: {c.name} {c.phone or ''} {c.hours or ''}".rstrip())
        for s in rota:
            who = by_id[s.contact_id].name if s.contact_id in by_id else "?"
            print(
                f"on call {s.role}: {who} {s.starts_at:%Y-%m-%d %H:%M}Z -> "
                f"{s.ends_at:%Y-%m-%d %H:%M}Z"
            )
        return 0

    return with_relais(args, run)
