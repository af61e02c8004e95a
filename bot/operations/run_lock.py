"""One `relais run` per SQLite file: a lock file beside the database, held with flock.

Two bots on one SQLite file would take turns holding its write lock and pause each other, and
answer the same chats twice. `relais run` holds an exclusive `flock` on `<database>.run.lock`
(released by the kernel when the process ends, even on SIGKILL) and writes its host, pid and
start time in it for the message the second one prints. Commands (`relais case list`, ...)
do not take it: they run beside the bot. PostgreSQL needs no such lock (check-ins, webhook
claims and Matrix leases are shared in the database).
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import RelaisError
from storage.db import normalise_url
from storage.db import sqlite_path as storage_sqlite_path

__all__ = ["AlreadyRunning", "RunLock", "lock_path_for", "sqlite_path"]


class AlreadyRunning(RelaisError):
    """Another `relais run` serves this SQLite database."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    return storage_sqlite_path(normalise_url(url))


def lock_path_for(database: Path) -> Path:
    return database.with_name(database.name + ".run.lock")


class RunLock:
    """The held lock; `release` (or the end of the process) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: Path) -> RunLock:
        path = lock_path_for(database)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held_by = _read(fd)
            os.close(fd)
            raise AlreadyRunning(
                f"another relais run already serves the SQLite database {database} "
                f"({held_by or 'holder unknown'}). SQLite takes one bot process: stop the other "
                "one first (commands such as `relais case list` may run beside it). To run "
                "several processes, move to PostgreSQL (`relais db copy --to "
                'postgresql+asyncpg://…`, see README "Scaling").'
            ) from None
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"host {socket.gethostname()}, pid {os.getpid()}, since {since}".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 400, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
