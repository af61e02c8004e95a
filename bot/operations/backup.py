"""`relais backup FILE` and `relais restore FILE` (SQLite), and what they say about the keys.

- Backup: SQLite's online backup API copies a consistent snapshot of the database while the bot
  keeps running (a transaction committed before the copy starts is in it; one committed during
  the copy is either wholly in or wholly out). The file is owner-only (0600). The encryption
  keys and the audit secret are never in it: they are backed up separately (the command says
  where they are), so that a stolen backup alone reads nothing.
- Restore: into an empty data directory only (a database there, even empty of rows, is refused:
  never overwrite a live database); the backup's schema revision must be one this Relais knows
  (an older one is upgraded by `relais db upgrade` afterwards). After a restore, schedules resume
  on the next start: check-ins that fell due since the backup are sent late within
  `checkins.late_window`, older ones summarised, as after any downtime.
- PostgreSQL: use `pg_dump` / `pg_restore` (README); `relais doctor` checks the schema revision.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot.config import Config
from bot.errors import ConfigError, InvalidInput
from bot.keystore import key_source
from storage import migrate
from storage.db import is_sqlite, sqlite_path

__all__ = ["backup_sqlite", "key_locations", "restore_sqlite", "sqlite_database"]


def sqlite_database(config: Config) -> Path:
    url = config.database_url()
    path = sqlite_path(url) if is_sqlite(url) else None
    if path is None:
        raise ConfigError(
            "the database is PostgreSQL: back it up with pg_dump and restore it with pg_restore "
            "(see the README, 'Backup and restore'); `relais doctor` then checks its schema",
            "storage.url",
        )
    return path


def key_locations(config: Config) -> list[str]:
    """Where the encryption keys and the audit secret are (to back up separately)."""
    out: list[str] = []
    source = key_source(config)
    out.append(
        f"encryption keys: {source.path}" if source.path else "encryption keys: $RELAIS_KEYS"
    )
    if os.environ.get("RELAIS_AUDIT_SECRET"):
        out.append("audit secret: $RELAIS_AUDIT_SECRET")
    else:
        audit = config.keys.audit_secret_file or str(config.data_path / "keys" / "audit.secret")
        out.append(f"audit secret: {Path(audit).expanduser()}")
    return out


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def backup_sqlite(source: Path, dest: Path) -> str:
    """Copy a consistent snapshot of `source` to `dest` (new file, 0600); returns its revision."""
    if not source.exists():
        raise InvalidInput(f"no database at {source}")
    if dest.exists():
        raise InvalidInput(f"{dest} exists: give a new file name (nothing was written)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)  # one step: a consistent snapshot, the bot's writes wait or go on
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            revision = _revision(out)
        finally:
            out.close()
    finally:
        src.close()
    return revision or "none"


def restore_sqlite(backup: Path, target: Path) -> str:
    """Restore `backup` as the database at `target`, which must not exist yet."""
    if not backup.is_file():
        raise InvalidInput(f"no backup file at {backup}")
    for path in (target, target.with_name(target.name + "-wal")):
        if path.exists():
            raise InvalidInput(
                f"refusing to overwrite the database at {path}: restore into an empty data "
                "directory (stop Relais and move the old one away first if you mean to replace it)"
            )
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        revision = _revision(src)
        if revision is None:
            raise InvalidInput(f"{backup} is not a Relais backup (no schema revision in it)")
        known = migrate.known_revisions()
        if revision not in known:
            raise InvalidInput(
                f"{backup} has schema revision {revision}, unknown to this Relais (newer?): "
                "restore it with the Relais version that made it"
            )
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        out = sqlite3.connect(target)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=WAL")
        finally:
            out.close()
    finally:
        src.close()
    return revision
