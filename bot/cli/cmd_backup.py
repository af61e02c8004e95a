"""`relais backup FILE` and `relais restore FILE` (SQLite; PostgreSQL: pg_dump, see README)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.config import load_config
from bot.operations.backup import backup_sqlite, key_locations, restore_sqlite, sqlite_database

__all__ = ["register"]


def register(subparsers: Any) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="a consistent copy of the database while Relais runs (never the keys)",
        description="Copy the SQLite database to FILE (a new file, mode 0600) while the bot "
        "runs. The encryption keys and the audit secret are not in it: back them up "
        "separately (the command says where they are).",
    )
    backup.add_argument("file", help="the backup file to create")
    backup.set_defaults(func=_backup)
    restore = subparsers.add_parser(
        "restore",
        help="restore a backup into an empty data directory",
        description="Restore FILE as the database of the configuration. Refuses to overwrite "
        "an existing database. Put the keys and the audit secret back first.",
    )
    restore.add_argument("file", help="a file made by `relais backup`")
    restore.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    dest = Path(args.file).expanduser()
    revision = backup_sqlite(sqlite_database(config), dest)
    print(f"backup written to {dest} (schema {revision})")
    print("The keys are NOT in it. Back these up separately, and keep them apart from it:")
    for line in key_locations(config):
        print(f"  {line}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    target = sqlite_database(config)
    revision = restore_sqlite(Path(args.file).expanduser(), target)
    print(f"restored {args.file} to {target} (schema {revision})")
    print("The backup holds no keys: the data is readable only with the keys of the backed-up")
    print("installation, here:")
    for line in key_locations(config):
        print(f"  {line}")
    print("Next: relais db upgrade (if this Relais is newer), relais audit verify, relais doctor,")
    print("then relais run: check-ins due since the backup follow checkins.late_window.")
    return 0
