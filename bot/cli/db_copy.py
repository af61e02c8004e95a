"""`relais db copy --to URL`: copy the configured database (SQLite) to an empty PostgreSQL
database, verified table by table (storage/copy.py). Then point `storage.url` at the copy."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sqlalchemy.engine import make_url

from bot.cli.cmd_db import emit_json
from bot.config import load_config
from bot.errors import InvalidInput
from bot.operations.run_lock import AlreadyRunning, RunLock
from storage.copy import CopyError, copy_database
from storage.db import normalise_url, sqlite_path

__all__ = ["register_copy"]


def register_copy(sub: Any) -> None:
    copy = sub.add_parser(
        "copy",
        help="copy this database to an empty one (e.g. SQLite to PostgreSQL), verified",
        description="Copy every table of the configured database to an empty database at the "
        "same schema revision, then compare row counts and checksums of every table. Stop "
        "`relais run` first. The keys stay the same: keep the data directory's keys.",
    )
    copy.add_argument(
        "--to", required=True, metavar="URL", help="e.g. postgresql+asyncpg://relais@db/relais"
    )
    copy.add_argument("--json", action="store_true")
    copy.set_defaults(func=_copy)


def _copy(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    source = config.database_url()
    target = args.to.strip()
    if normalise_url(source) == normalise_url(target):
        raise InvalidInput("--to names the configured database itself: give another one")
    path = sqlite_path(normalise_url(source))
    if path is not None and not path.exists():
        raise InvalidInput(f"no database at {path}: nothing to copy")
    lock = None
    if path is not None:  # no bot may write into the source while it is copied
        try:
            lock = RunLock.acquire(path)
        except AlreadyRunning as exc:
            raise InvalidInput(str(exc).replace("SQLite takes one bot process", "Copy")) from None
    safe = make_url(normalise_url(target)).render_as_string(hide_password=True)

    def progress(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    try:
        progress(f"copying to {safe}")
        tables = asyncio.run(copy_database(source, target, progress=progress))
    except CopyError as exc:
        raise InvalidInput(str(exc)) from None
    finally:
        if lock is not None:
            lock.release()
    if args.json:
        rows = [{"table": t.table, "rows": t.rows, "sha256": t.checksum} for t in tables]
        emit_json({"target": safe, "tables": rows})
    else:
        print(
            f"copied and verified {sum(t.rows for t in tables)} rows in {len(tables)} tables. "
            "Next: set storage.url (or RELAIS_DATABASE_URL) to the copy, run `relais audit "
            "verify`, then start relais run."
        )
    return 0
