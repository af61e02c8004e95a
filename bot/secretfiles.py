"""Secret files must be readable by their owner only.

The encryption keys, the audit secret, the chat tokens and passwords, a database URL with a
password: a file holding one of them that the group or others can read is a leak waiting to
happen. `relais run` refuses to start on one (`refuse_insecure`), `relais doctor` reports them;
both say the `chmod` that fixes it.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.errors import ConfigError

__all__ = ["InsecureFile", "insecure_secret_files", "refuse_insecure", "secret_files"]


@dataclass(frozen=True, slots=True)
class InsecureFile:
    setting: str
    path: Path
    mode: int

    @property
    def fix(self) -> str:
        return f"chmod 600 {self.path}"

    def describe(self) -> str:
        return (
            f"secret file {self.path} ({self.setting}) is readable by "
            f"{'others' if self.mode & 0o007 else 'its group'} (mode {self.mode:04o}); "
            f"run: {self.fix}"
        )


def secret_files(config: Config) -> list[tuple[str, Path]]:
    """(setting, path) of every secret file the configuration names or Relais created."""
    keys_dir = config.data_path / "keys"
    audit = config.keys.audit_secret_file or str(keys_dir / "audit.secret")
    matrix = Path(config.matrix.store_path or config.data_path / "matrix") / "credentials.json"
    named = [
        ("keys.key_file", config.keys.key_file or str(keys_dir / "encryption.keys")),
        ("keys.audit_secret_file", audit),
        ("storage.url_file", config.storage.url_file),
        ("telegram.token_file", config.telegram.token_file),
        ("telegram.webhook_secret_file", config.telegram.webhook_secret_file),
        ("matrix.password_file", config.matrix.password_file),
        ("matrix.pickle_key_file", config.matrix.pickle_key_file),
        ("matrix.store_path (the bot's access token)", str(matrix)),
    ]
    return [(setting, Path(path).expanduser()) for setting, path in named if path]


def insecure_secret_files(config: Config) -> list[InsecureFile]:
    """The existing secret files the group or others may read (missing ones are not here)."""
    found: list[InsecureFile] = []
    for setting, path in secret_files(config):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            found.append(InsecureFile(setting, path, mode))
    return found


def refuse_insecure(config: Config) -> None:
    """Raise ConfigError naming each secret file readable beyond its owner, and the fix."""
    found = insecure_secret_files(config)
    if found:
        raise ConfigError("; ".join(f.describe() for f in found))
