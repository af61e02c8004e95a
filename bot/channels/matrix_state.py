"""What the Matrix adapter keeps beside nio's crypto store, under `[matrix] store_path`.

- `credentials.json` (mode 0600): user id, device id and access token. The password is used
  once, to log in; afterwards the same device (and so the same crypto identity) is restored.
- `cross-signing.json` (`matrix_keyfile`): the bot's cross-signing keys, encrypted with the
  pickle key; `recovery-key.txt` once, when the identity is created (copy it, delete it).
- `relais-matrix.sqlite`: the sync token of the last batch fully handled, the event ids already
  handled (so a restart never answers twice), the moment from which each room's messages count
  (the bot's invite), and the direct-message room of each practitioner.

Nothing here holds message text: ids and timestamps only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RECOVERY_KEY_FILE",
    "Credentials",
    "MatrixState",
    "load_credentials",
    "save_credentials",
    "write_recovery_key",
]

_CREDENTIALS = "credentials.json"
RECOVERY_KEY_FILE = "recovery-key.txt"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS processed_events (
    event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, handled_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (room_id TEXT PRIMARY KEY, since_ts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS direct_rooms (user_id TEXT PRIMARY KEY, room_id TEXT NOT NULL);
"""
#: handled event ids are kept this long (a sync token older than this is not replayed)
_KEEP_SECONDS = 30 * 86400


@dataclass(frozen=True, slots=True)
class Credentials:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def load_credentials(store: Path) -> Credentials | None:
    path = store / _CREDENTIALS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Credentials(
        homeserver=str(data["homeserver"]),
        user_id=str(data["user_id"]),
        device_id=str(data["device_id"]),
        access_token=str(data["access_token"]),
    )


def save_credentials(store: Path, credentials: Credentials) -> None:
    path = store / _CREDENTIALS
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "homeserver": credentials.homeserver,
                "user_id": credentials.user_id,
                "device_id": credentials.device_id,
                "access_token": credentials.access_token,
            },
            handle,
        )
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_recovery_key(store: Path, recovery_key: str) -> Path:
    """Keep a new recovery key (mode 0600) for the admin to copy offline and delete."""
    path = store / RECOVERY_KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            "Relais: the recovery key of the bot's Matrix identity. Copy it somewhere safe\n"
            "offline (a password manager, a sealed envelope), then delete this file.\n"
            "It restores the identity with `relais matrix restore-identity`.\n\n"
            f"{recovery_key}\n"
        )
    return path


class MatrixState:
    """A small SQLite file; every call is a short local transaction."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        os.chmod(path, 0o600)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        if self.get("first_start_ms") is None:
            self.set("first_start_ms", str(int(time.time() * 1000)))
        self._db.execute(
            "DELETE FROM processed_events WHERE handled_at < ?", (time.time() - _KEEP_SECONDS,)
        )

    def close(self) -> None:
        self._db.close()

    # -- meta -------------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def first_start_ms(self) -> int:
        return int(self.get("first_start_ms") or 0)

    @property
    def sync_token(self) -> str | None:
        return self.get("sync_token")

    def save_sync_token(self, token: str) -> None:
        self.set("sync_token", token)

    # -- events -----------------------------------------------------------------------------

    def is_processed(self, event_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM processed_events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return row is not None

    def mark_processed(self, event_id: str, room_id: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO processed_events (event_id, room_id, handled_at) "
            "VALUES (?, ?, ?)",
            (event_id, room_id, time.time()),
        )

    # -- rooms ------------------------------------------------------------------------------

    def room_since(self, room_id: str) -> int | None:
        row = self._db.execute(
            "SELECT since_ts FROM rooms WHERE room_id = ?", (room_id,)
        ).fetchone()
        return None if row is None else int(row[0])

    def set_room_since(self, room_id: str, since_ts: int, *, replace: bool = False) -> None:
        """From when messages in `room_id` count (a new invite moves it; a join does not)."""
        verb = "REPLACE" if replace else "IGNORE"
        self._db.execute(
            f"INSERT OR {verb} INTO rooms (room_id, since_ts) VALUES (?, ?)", (room_id, since_ts)
        )

    def direct_room(self, user_id: str) -> str | None:
        row = self._db.execute(
            "SELECT room_id FROM direct_rooms WHERE user_id = ?", (user_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_direct_room(self, user_id: str, room_id: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO direct_rooms (user_id, room_id) VALUES (?, ?)",
            (user_id, room_id),
        )

    def forget_room(self, room_id: str) -> None:
        self._db.execute("DELETE FROM direct_rooms WHERE room_id = ?", (room_id,))
