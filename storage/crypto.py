"""Encryption at rest: AES-GCM with a key id in each ciphertext and the row bound as AAD.

Ciphertext layout: ``b"v1" + len(key_id) (1 byte) + key_id + nonce (12 bytes) + ct||tag``.
Associated data: ``b"<table>|<column>|<row id>"``, so a value moved to another row or column
fails to decrypt. Keys: lines ``<key_id> <base64 32-byte key>`` (or ``id:base64`` separated by
commas or semicolons in the RELAIS_KEYS variable); the last key is the active one.

Names are looked up through a keyed hash (`KeyRing.lookup_hashes`) computed under every key,
so lookups keep working in the middle of a key rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import ConfigError, RelaisError

__all__ = [
    "DecryptionError",
    "KeyRing",
    "create_key_file",
    "create_secret_file",
    "format_key_line",
    "generate_key",
    "key_id_of",
    "normalise_name",
    "parse_keys",
]

_VERSION = b"v1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class DecryptionError(RelaisError):
    """A ciphertext could not be decrypted: unknown key, wrong row, or tampering."""


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def format_key_line(key_id: str, key: bytes) -> str:
    return f"{key_id} {base64.b64encode(key).decode('ascii')}"


def parse_keys(text: str, source: str = "keys") -> list[tuple[str, bytes]]:
    """Parse a key file or the RELAIS_KEYS value; keeps order (last = active)."""
    keys: list[tuple[str, bytes]] = []
    entries = [
        part
        for line in text.splitlines()
        if not line.strip().startswith("#")
        for part in re.split(r"[;,]", line)
    ]
    for number, raw in enumerate(entries, start=1):
        line = raw.strip()
        if not line:
            continue
        parts = re.split(r"[\s:]+", line, maxsplit=1)
        if len(parts) != 2 or not _KEY_ID.match(parts[0]):
            raise ConfigError(f"entry {number}: expected '<key_id> <base64 key>'", source)
        try:
            key = base64.b64decode(parts[1], validate=True)
        except ValueError as exc:
            raise ConfigError(f"entry {number}: key is not valid base64", source) from exc
        if len(key) != 32:
            raise ConfigError(f"entry {number}: expected a 32-byte key, found {len(key)}", source)
        if any(existing == parts[0] for existing, _ in keys):
            raise ConfigError(f"entry {number}: duplicate key id {parts[0]!r}", source)
        keys.append((parts[0], key))
    if not keys:
        raise ConfigError("no encryption key found", source)
    return keys


def normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def key_id_of(blob: bytes) -> str:
    if blob[:2] != _VERSION or len(blob) < 3:
        raise DecryptionError("not a Relais ciphertext")
    size = blob[2]
    return blob[3 : 3 + size].decode("ascii")


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The encryption keys; `active` encrypts, every key decrypts."""

    keys: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigError("no encryption key")

    @classmethod
    def from_text(cls, text: str, source: str = "keys") -> KeyRing:
        return cls(tuple(parse_keys(text, source)))

    @property
    def active_id(self) -> str:
        return self.keys[-1][0]

    def _key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise DecryptionError(f"unknown encryption key id {key_id!r}")

    @staticmethod
    def _aad(table: str, column: str, row_id: str) -> bytes:
        return f"{table}|{column}|{row_id}".encode()

    def encrypt(self, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
        kid = self.active_id
        nonce = os.urandom(12)
        ct = AESGCM(self._key(kid)).encrypt(
            nonce, plaintext.encode("utf-8"), self._aad(table, column, row_id)
        )
        encoded = kid.encode("ascii")
        return _VERSION + bytes([len(encoded)]) + encoded + nonce + ct

    def decrypt(self, blob: bytes, *, table: str, column: str, row_id: str) -> str:
        kid = key_id_of(blob)
        start = 3 + len(kid)
        nonce, ct = blob[start : start + 12], blob[start + 12 :]
        try:
            plain = AESGCM(self._key(kid)).decrypt(nonce, ct, self._aad(table, column, row_id))
        except InvalidTag as exc:
            raise DecryptionError(
                f"cannot decrypt {table}.{column} of row {row_id}: wrong key, row or tampered"
            ) from exc
        return plain.decode("utf-8")

    def lookup_hash(self, name: str, key_id: str | None = None) -> str:
        key = self._key(key_id or self.active_id)
        sub = hmac.new(key, b"relais-lookup", hashlib.sha256).digest()
        return hmac.new(sub, normalise_name(name).encode("utf-8"), hashlib.sha256).hexdigest()

    def lookup_hashes(self, name: str) -> list[str]:
        return [self.lookup_hash(name, kid) for kid, _ in self.keys]

    def with_new_key(self) -> tuple[KeyRing, str, bytes]:
        existing = {kid for kid, _ in self.keys}
        number = len(self.keys) + 1
        while f"k{number}" in existing:
            number += 1
        kid, key = f"k{number}", generate_key()
        return KeyRing((*self.keys, (kid, key))), kid, key


def create_key_file(path: Path) -> None:
    """Create a new key file readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("# Relais encryption keys: <key id> <base64 key>; the last one is active\n")
        handle.write(format_key_line("k1", generate_key()) + "\n")


def create_secret_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
