"""Matrix cross-signing, the pure part: keys, canonical JSON, signatures, and reading an
identity out of a `/keys/query` answer (spec, client-server API, "Cross-signing").

    master = SigningKey.generate()
    body = cross_signing_key(user_id, "master", master.public)        # a key object to upload
    signed = sign_object(body, user_id, master)                       # adds signatures[user][...]
    identity = read_identity(keys_query_json, user_id)                # verified, or partly None
    identity.device_cross_signed("DEVICEID")                          # -> bool

Signatures are ed25519 (`cryptography`) over the canonical JSON of the object without its
`signatures` and `unsigned` members; keys and signatures are unpadded base64. No network I/O
here: tests use these functions to check the bot's identity from another user's point of view.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "CrossSigningIdentity",
    "SigningKey",
    "canonical_json",
    "cross_signing_key",
    "encode_base64",
    "fingerprint",
    "read_identity",
    "sign_object",
    "verify_object",
]


def encode_base64(data: bytes) -> str:
    """Unpadded standard base64, as Matrix writes keys and signatures."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def decode_base64(text: str) -> bytes:
    """Padded or unpadded standard base64 (raises ValueError when it is not base64)."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def canonical_json(value: dict[str, Any]) -> bytes:
    """The spec's canonical JSON: sorted keys, no spaces, UTF-8 (nio's `Api.to_canonical_json`)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _signable(value: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in value.items() if k not in ("signatures", "unsigned")})


class SigningKey:
    """An ed25519 private key (the 32-byte seed is what is kept and backed up)."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an ed25519 seed is 32 bytes")
        self.seed = seed
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = encode_base64(raw)

    @classmethod
    def generate(cls) -> SigningKey:
        seed = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        return cls(seed)

    def sign(self, value: dict[str, Any]) -> str:
        return encode_base64(self._key.sign(_signable(value)))


def sign_object(value: dict[str, Any], user_id: str, key: SigningKey) -> dict[str, Any]:
    """A copy of `value` with `key`'s signature added under signatures[user_id]["ed25519:<pub>"]
    (other signatures kept; `unsigned` dropped, as uploads must not carry it)."""
    signature = key.sign(value)
    signatures = {u: dict(s) for u, s in (value.get("signatures") or {}).items()}
    signatures.setdefault(user_id, {})[f"ed25519:{key.public}"] = signature
    signed = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
    signed["signatures"] = signatures
    return signed


def verify_object(value: dict[str, Any], user_id: str, key_id: str, public_key: str) -> bool:
    """Whether `value` carries a valid signature by `public_key` under signatures[user_id][
    "ed25519:<key_id>"] (key_id: a device id, or the public key itself for cross-signing)."""
    signature = ((value.get("signatures") or {}).get(user_id) or {}).get(f"ed25519:{key_id}")
    if not isinstance(signature, str):
        return False
    try:
        public = Ed25519PublicKey.from_public_bytes(decode_base64(public_key))
        public.verify(decode_base64(signature), _signable(value))
    except (ValueError, InvalidSignature):
        return False
    return True


def cross_signing_key(user_id: str, usage: str, public_key: str) -> dict[str, Any]:
    """An unsigned cross-signing key object (usage: master, self_signing, user_signing)."""
    return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public_key}": public_key}}


def fingerprint(public_key: str) -> str:
    """A key formatted for comparing out of band: groups of four characters."""
    return " ".join(public_key[i : i + 4] for i in range(0, len(public_key), 4))


def _single_key(value: Any, user_id: str, usage: str) -> str | None:
    """The public key of a cross-signing key object, if it is well-formed for user and usage."""
    if not isinstance(value, dict) or value.get("user_id") != user_id:
        return None
    if usage not in (value.get("usage") or []):
        return None
    keys = value.get("keys") or {}
    if not isinstance(keys, dict) or len(keys) != 1:
        return None
    [(key_id, public)] = keys.items()
    if not isinstance(public, str) or key_id != f"ed25519:{public}":
        return None
    return public


@dataclass(frozen=True, slots=True)
class CrossSigningIdentity:
    """A user's cross-signing identity as their homeserver publishes it, signatures checked.

    - master_key: the master public key, or None when the user has none
    - self_signing_key / user_signing_key: set only when validly signed by master_key
    - cross_signed_devices: device id -> (ed25519, curve25519) of the devices whose keys
      (self-signed by the device) carry a valid signature by self_signing_key
    - devices: every device id the server listed (signed or not)
    - device_keys: device id -> (ed25519, curve25519) of every listed device whose keys carry
      its own valid signature (cross-signed or not)
    """

    user_id: str
    master_key: str | None = None
    self_signing_key: str | None = None
    user_signing_key: str | None = None
    cross_signed_devices: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    devices: frozenset[str] = field(default_factory=frozenset)
    device_keys: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def device_cross_signed(self, device_id: str) -> bool:
        return device_id in self.cross_signed_devices

    def cross_signed_device_with(self, ed25519: str, curve25519: str) -> str | None:
        """The id of the cross-signed device holding these identity keys, if any."""
        for device_id, keys in self.cross_signed_devices.items():
            if keys == (ed25519, curve25519):
                return device_id
        return None


def read_identity(response: dict[str, Any], user_id: str) -> CrossSigningIdentity:
    """`user_id`'s identity out of a `/keys/query` answer (JSON), every signature verified."""
    master = _single_key((response.get("master_keys") or {}).get(user_id), user_id, "master")
    self_signing: str | None = None
    user_signing: str | None = None
    if master is not None:
        ssk_obj: Any = (response.get("self_signing_keys") or {}).get(user_id)
        ssk = _single_key(ssk_obj, user_id, "self_signing")
        if ssk is not None and verify_object(ssk_obj, user_id, master, master):
            self_signing = ssk
        usk_obj: Any = (response.get("user_signing_keys") or {}).get(user_id)
        usk = _single_key(usk_obj, user_id, "user_signing")
        if usk is not None and verify_object(usk_obj, user_id, master, master):
            user_signing = usk
    devices = (response.get("device_keys") or {}).get(user_id) or {}
    signed: dict[str, tuple[str, str]] = {}
    listed: dict[str, tuple[str, str]] = {}
    for device_id, keys in devices.items():
        if not isinstance(keys, dict):
            continue
        if keys.get("user_id") != user_id or keys.get("device_id") != device_id:
            continue
        device_key = (keys.get("keys") or {}).get(f"ed25519:{device_id}")
        curve_key = (keys.get("keys") or {}).get(f"curve25519:{device_id}")
        if not isinstance(device_key, str) or not isinstance(curve_key, str):
            continue
        if not verify_object(keys, user_id, device_id, device_key):
            continue
        listed[device_id] = (device_key, curve_key)
        if self_signing is not None and verify_object(keys, user_id, self_signing, self_signing):
            signed[device_id] = (device_key, curve_key)
    return CrossSigningIdentity(
        user_id=user_id,
        master_key=master,
        self_signing_key=self_signing,
        user_signing_key=user_signing,
        cross_signed_devices=signed,
        devices=frozenset(devices),
        device_keys=listed,
    )
