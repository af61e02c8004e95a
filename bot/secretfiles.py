"""Are the secrets safe to use? File modes of key and secret files, and weak values.

Relais refuses to start on a key file or secret file that its group or other users can read (the
error names the `chmod` that fixes it), on an encryption key that is all zeros or a repeated
byte, and on an audit secret that is trivially guessable. The checks are plain functions so that
an operations command (a future `relais doctor`) can run them and list every finding at once.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.config import Config

__all__ = [
    "SecretFile",
    "check_private",
    "check_secret_files",
    "exposed_mode",
    "exposed_secret_files",
    "secret_files",
    "weak_key_reason",
    "weak_secret_reason",
]

#: a secret of this many distinct characters or fewer is refused ("aaaa…", "abababab…")
_MIN_DISTINCT_CHARS = 8
_MIN_DISTINCT_KEY_BYTES = 8
#: where the Matrix channel keeps the bot's access token, in its store directory
_TOKEN_FILE = "credentials.json"


@dataclass(frozen=True, slots=True)
class SecretFile:
    """A file that holds a secret, the configuration key that names it, and what it is."""

    path: Path
    key: str
    what: str


def exposed_mode(path: Path) -> int | None:
    """The permission bits that let the group or others read or write `path` (None: none)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    return mode if mode & 0o077 else None


def check_private(path: Path, *, what: str, key: str = "") -> None:
    """Raise ConfigError when `path` (a secret) is readable or writable by group or others."""
    mode = exposed_mode(path)
    if mode is None:
        return
    raise ConfigError(
        f"the {what} {path} can be read by other users (mode {mode:04o}): "
        f"run `chmod 600 {path}` (and keep it owned by the user that runs Relais)",
        key,
    )


def secret_files(config: Config) -> list[SecretFile]:
    """Every secret file the configuration uses (set by a key, or the embedded defaults)."""
    embedded = config.data_path / "keys"
    named = [
        (config.keys.key_file, "keys.key_file", "encryption key file", "RELAIS_KEYS"),
        (
            config.keys.audit_secret_file,
            "keys.audit_secret_file",
            "audit secret file",
            "RELAIS_AUDIT_SECRET",
        ),
        (config.storage.url_file, "storage.url_file", "database URL file", "RELAIS_DATABASE_URL"),
        (config.telegram.token_file, "telegram.token_file", "Telegram token file", ""),
        (
            config.telegram.webhook_secret_file,
            "telegram.webhook_secret_file",
            "webhook secret file",
            "",
        ),
        (config.matrix.password_file, "matrix.password_file", "Matrix password file", ""),
        (config.matrix.pickle_key_file, "matrix.pickle_key_file", "Matrix pickle key file", ""),
        (
            str(Path(config.matrix.store_path or config.data_path / "matrix") / _TOKEN_FILE)
            if config.matrix.enabled
            else "",
            "matrix.store_path",
            "Matrix access token file",
            "",
        ),
    ]
    found: list[SecretFile] = []
    for value, key, what, env in named:
        if env and os.environ.get(env):
            continue  # the environment wins: the file is not read
        if value:
            found.append(SecretFile(Path(value).expanduser(), key, what))
    if not config.keys.key_file and not os.environ.get("RELAIS_KEYS"):
        found.append(SecretFile(embedded / "encryption.keys", "keys", "encryption key file"))
    if not config.keys.audit_secret_file and not os.environ.get("RELAIS_AUDIT_SECRET"):
        found.append(SecretFile(embedded / "audit.secret", "keys", "audit secret file"))
    return found


def exposed_secret_files(config: Config) -> list[tuple[SecretFile, int]]:
    """The existing secret files the group or others may read, with their mode."""
    found = []
    for item in secret_files(config):
        mode = exposed_mode(item.path)
        if mode is not None:
            found.append((item, mode))
    return found


def check_secret_files(config: Config) -> None:
    """Refuse to go on when any secret file is readable by group or others."""
    for item in secret_files(config):
        check_private(item.path, what=item.what, key=item.key)


def weak_key_reason(key: bytes) -> str | None:
    """Why an encryption key is trivially weak (all zeros, a repeated byte), or None."""
    if not any(key):
        return "it is all zeros"
    if len(set(key)) <= _MIN_DISTINCT_KEY_BYTES:
        return "it repeats a few bytes (not random)"
    return None


def weak_secret_reason(value: str) -> str | None:
    """Why an audit secret is trivially weak, or None. Length is checked by the caller."""
    if len(set(value)) <= _MIN_DISTINCT_CHARS:
        return f"it uses only {len(set(value))} different characters"
    return None
