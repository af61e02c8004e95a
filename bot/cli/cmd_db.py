"""`relais db upgrade|current|downgrade`; also the helpers the other storage commands share."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.config import Config, load_config
from bot.display import json_safe
from bot.errors import InvalidInput
from storage import migrate

__all__ = ["confirm", "emit_json", "register", "with_relais"]


def with_relais(args: argparse.Namespace, fn: Callable[[Relais], Awaitable[int]]) -> int:
    """Open the application from `--config`, run `fn`, close it."""
    config = load_config(args.config)

    async def main() -> int:
        relais = await Relais.open(config)
        try:
            return await fn(relais)
        finally:
            await relais.close()

    return asyncio.run(main())


def write_private(path: Path, text: str) -> None:
    """Write a document that may hold case data to `path`, readable by its owner only (0600);
    InvalidInput naming the path when it cannot be written."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None


def emit_json(value: Any) -> None:
    """JSON on stdout; control and invisible characters as \\u escapes (nothing is lost)."""
    print(json_safe(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)))


def confirm(args: argparse.Namespace, expected: str, what: str) -> None:
    """Ask the operator to type `expected` unless --yes was given."""
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise InvalidInput(f"{what}: confirm with --yes (no terminal to ask on)")
    answer = input(f"{what}. Type {expected} to confirm: ").strip()
    if answer != expected:
        raise InvalidInput("not confirmed: nothing was changed")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="database schema: upgrade, current, downgrade")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("--revision", default="head")
    up.add_argument("--json", action="store_true")
    up.set_defaults(func=_upgrade)
    cur = sub.add_parser("current", help="show the schema revision of the database")
    cur.add_argument("--json", action="store_true")
    cur.set_defaults(func=_current)
    down = sub.add_parser("downgrade", help="migrate down to REVISION (base = remove all)")
    down.add_argument("revision")
    down.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    down.add_argument("--json", action="store_true")
    down.set_defaults(func=_downgrade)
    from bot.cli.db_copy import register_copy  # it imports this module's helpers

    register_copy(sub)


def _url(args: argparse.Namespace) -> tuple[Config, str]:
    config = load_config(args.config)
    return config, config.database_url()


def _upgrade(args: argparse.Namespace) -> int:
    _config, url = _url(args)
    asyncio.run(migrate.upgrade(url, args.revision))
    _report(url, args.json)
    return 0


def _report(url: str, as_json: bool) -> None:
    rev = asyncio.run(migrate.current(url))
    if as_json:
        emit_json({"current": rev, "head": migrate.head(), "up_to_date": rev == migrate.head()})
    else:
        print(f"database at revision {rev or 'base (empty)'}")


def _current(args: argparse.Namespace) -> int:
    _config, url = _url(args)
    rev = asyncio.run(migrate.current(url))
    head = migrate.head()
    if args.json:
        emit_json({"current": rev, "head": head, "up_to_date": rev == head})
    else:
        state = "up to date" if rev == head else "out of date: run `relais db upgrade`"
        print(f"{rev or 'empty database'} (head {head}, {state})")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    _config, url = _url(args)
    confirm(args, "downgrade", f"Migrate the database down to {args.revision} (data may be lost)")
    asyncio.run(migrate.downgrade(url, args.revision))
    _report(url, args.json)
    return 0
