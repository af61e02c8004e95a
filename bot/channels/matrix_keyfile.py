"""The bot's cross-signing private keys: derivation, the recovery key, the encrypted key file.

- `BotKeys.from_master_seed(seed)`: the master key is the seed; the self-signing and
  user-signing keys are derived from it (HKDF-SHA256), so the master seed alone restores the
  whole identity.
- `recovery_key(keys)` / `keys_from_recovery(text)`: the master seed written for a person
  (base32 in groups of four, a two-byte checksum catches a mistyped character).
- `save_keys(store, keys, pickle_key)` / `load_keys(store, pickle_key)`: `cross-signing.json`
  beside the crypto store, mode 0600, the seed encrypted with AES-256-GCM under a key derived
  from the pickle key (scrypt, random salt).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bot.channels.matrix_crosssign import SigningKey
from bot.errors import RelaisError

__all__ = [
    "KEY_FILE",
    "BotKeys",
    "IdentityError",
    "keys_from_recovery",
    "load_keys",
    "recovery_key",
    "save_keys",
]

KEY_FILE = "cross-signing.json"
_PREFIX = "RLS"


class IdentityError(RelaisError):
    """The bot's cross-signing identity cannot be set up, read or restored (the message says
    what to do)."""


def _derive(seed: bytes, usage: str) -> SigningKey:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"relais {usage}".encode())
    return SigningKey(hkdf.derive(seed))


@dataclass(frozen=True, slots=True)
class BotKeys:
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def from_master_seed(cls, seed: bytes) -> BotKeys:
        return cls(SigningKey(seed), _derive(seed, "self_signing"), _derive(seed, "user_signing"))

    @classmethod
    def generate(cls) -> BotKeys:
        return cls.from_master_seed(secrets.token_bytes(32))


def recovery_key(keys: BotKeys) -> str:
    data = keys.master.seed + hashlib.sha256(keys.master.seed).digest()[:2]
    text = base64.b32encode(data).decode("ascii").rstrip("=")
    return " ".join([_PREFIX, *(text[i : i + 4] for i in range(0, len(text), 4))])


def keys_from_recovery(text: str) -> BotKeys:
    """The keys a recovery key stands for; IdentityError if it was mistyped."""
    compact = "".join(text.split()).upper()
    if not compact.startswith(_PREFIX):
        raise IdentityError(
            f"this is not a Relais recovery key (it starts with {_PREFIX}); check what you typed"
        )
    body = compact[len(_PREFIX) :]
    try:
        data = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        data = b""
    if len(data) != 34 or hashlib.sha256(data[:32]).digest()[:2] != data[32:]:
        raise IdentityError("the recovery key is mistyped (its checksum does not match)")
    return BotKeys.from_master_seed(data[:32])


def _cipher(pickle_key: str, salt: bytes) -> AESGCM:
    key = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(pickle_key.encode())
    return AESGCM(key)


def save_keys(store: Path, keys: BotKeys, pickle_key: str) -> None:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = _cipher(pickle_key, salt).encrypt(nonce, keys.master.seed, b"relais cross-signing")
    record = {
        "version": 1,
        "master_key": keys.master.public,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "master_seed": base64.b64encode(sealed).decode(),
    }
    path = store / KEY_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(tmp, path)


def load_keys(store: Path, pickle_key: str) -> BotKeys | None:
    """The saved keys, None when there is no key file; IdentityError when it cannot be read."""
    path = store / KEY_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        salt = base64.b64decode(record["salt"])
        nonce = base64.b64decode(record["nonce"])
        sealed = base64.b64decode(record["master_seed"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise IdentityError(f"{path} is damaged: restore it from your backup") from exc
    try:
        seed = _cipher(pickle_key, salt).decrypt(nonce, sealed, b"relais cross-signing")
    except InvalidTag as exc:
        raise IdentityError(
            f"{path} cannot be decrypted with this pickle key (RELAIS_MATRIX_PICKLE_KEY or "
            "pickle_key_file): use the key the store was created with"
        ) from exc
    keys = BotKeys.from_master_seed(seed)
    if keys.master.public != record.get("master_key"):
        raise IdentityError(f"{path} is inconsistent: restore it from your backup")
    return keys
