"""Where the encryption keys and the audit secret come from.

Order: the environment (RELAIS_KEYS / RELAIS_AUDIT_SECRET), else the file the configuration
names (keys.key_file / keys.audit_secret_file), else the embedded default under the data
directory (keys/encryption.keys and keys/audit.secret), created 0600 on first start.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.config import Config
from bot.errors import ConfigError
from bot.secretfiles import check_private, weak_key_reason, weak_secret_reason
from storage.crypto import KeyRing, create_key_file, create_secret_file, format_key_line

__all__ = ["KeySource", "add_key", "load_audit_secret", "load_keyring"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KeySource:
    kind: Literal["env", "file", "embedded"]
    path: Path | None


def _embedded(config: Config, name: str) -> Path:
    return config.data_path / "keys" / name


def key_source(config: Config) -> KeySource:
    secret = config.encryption_keys
    if os.environ.get(secret.env):
        return KeySource("env", None)
    if secret.file:
        return KeySource("file", Path(secret.file).expanduser())
    return KeySource("embedded", _embedded(config, "encryption.keys"))


def load_keyring(config: Config, *, create: bool = True) -> tuple[KeyRing, KeySource]:
    source = key_source(config)
    if source.kind == "embedded":
        assert source.path is not None
        if not source.path.exists():
            if not create:
                raise ConfigError(f"no encryption key file at {source.path}")
            create_key_file(source.path)
            log.warning(
                "created the encryption key file %s (mode 0600): back it up, the data cannot "
                "be read without it",
                source.path,
            )
        check_private(source.path, what="encryption key file", key="keys.key_file")
        text = source.path.read_text(encoding="ascii")
        return _strong(KeyRing.from_text(text, str(source.path)), str(source.path)), source
    text = config.encryption_keys.read()
    where = config.encryption_keys.path if source.kind == "file" else "RELAIS_KEYS"
    return _strong(KeyRing.from_text(text, where), where), source


def _strong(ring: KeyRing, where: str) -> KeyRing:
    for key_id, key in ring.keys:
        reason = weak_key_reason(key)
        if reason is not None:
            log.warning("refusing the encryption key %s: %s", key_id, reason)
            raise ConfigError(
                f"the encryption key {key_id!r} is unsafe ({reason}): generate a real one with "
                "`relais keys generate`",
                where,
            )
    return ring


def add_key(config: Config, ring: KeyRing) -> tuple[KeyRing, str]:
    """Append a new active key to the key file; the environment cannot be written to."""
    source = key_source(config)
    if source.kind == "env" or source.path is None:
        raise ConfigError(
            "the keys come from RELAIS_KEYS: append a new key to it yourself "
            "(`relais keys generate` prints one), then run `relais keys rotate --no-new-key`",
            "keys",
        )
    new_ring, kid, key = ring.with_new_key()
    with source.path.open("a", encoding="ascii") as handle:
        handle.write(format_key_line(kid, key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    log.info("added encryption key %s to %s", kid, source.path)
    return new_ring, kid


def load_audit_secret(config: Config, *, create: bool = True) -> bytes:
    secret = config.audit_secret
    if os.environ.get(secret.env) or secret.file:
        value = secret.read()
    else:
        path = _embedded(config, "audit.secret")
        if not path.exists():
            if not create:
                raise ConfigError(f"no audit secret at {path}")
            create_secret_file(path)
            log.warning("created the audit secret %s (mode 0600): back it up", path)
        check_private(path, what="audit secret file", key="keys.audit_secret_file")
        value = path.read_text(encoding="ascii").strip()
    if len(value) < 16:
        raise ConfigError("the audit secret must be at least 16 characters", secret.path)
    reason = weak_secret_reason(value)
    if reason is not None:
        log.warning("refusing a weak audit secret")
        raise ConfigError(
            f"the audit secret is trivially weak ({reason}): use a long random one, such as "
            '`python3 -c "import secrets; print(secrets.token_urlsafe(48))"`',
            secret.env if os.environ.get(secret.env) else secret.path,
        )
    return value.encode("utf-8")
