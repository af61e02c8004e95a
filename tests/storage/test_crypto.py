"""AES-GCM at rest: key id inside, row bound as associated data, tampering detected."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import ConfigError
from bot.keystore import load_audit_secret, load_keyring
from storage.crypto import DecryptionError, KeyRing, format_key_line, generate_key, key_id_of


def _ring(*ids: str) -> KeyRing:
    return KeyRing.from_text("\n".join(format_key_line(i, generate_key()) for i in ids))


def test_round_trip_and_key_id() -> None:
    ring = _ring("k1", "k2")
    blob = ring.encrypt("hello", table="notes", column="body", row_id="r1")
    assert blob.startswith(b"v1")
    assert key_id_of(blob) == "k2"
    assert b"hello" not in blob
    assert ring.decrypt(blob, table="notes", column="body", row_id="r1") == "hello"
    assert blob != ring.encrypt("hello", table="notes", column="body", row_id="r1")


@pytest.mark.parametrize(
    ("table", "column", "row_id"),
    [("notes", "body", "r2"), ("notes", "other", "r1"), ("contacts", "body", "r1")],
)
def test_value_cannot_move(table: str, column: str, row_id: str) -> None:
    ring = _ring("k1")
    blob = ring.encrypt("secret", table="notes", column="body", row_id="r1")
    with pytest.raises(DecryptionError):
        ring.decrypt(blob, table=table, column=column, row_id=row_id)


def test_tampering_and_unknown_key() -> None:
    ring = _ring("k1")
    blob = bytearray(ring.encrypt("secret", table="t", column="c", row_id="1"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.decrypt(bytes(blob), table="t", column="c", row_id="1")
    other = _ring("k9").encrypt("x", table="t", column="c", row_id="1")
    with pytest.raises(DecryptionError, match="unknown encryption key"):
        ring.decrypt(other, table="t", column="c", row_id="1")


def test_key_parsing_errors() -> None:
    with pytest.raises(ConfigError, match="32-byte"):
        KeyRing.from_text("k1 aGVsbG8=")
    with pytest.raises(ConfigError, match="no encryption key"):
        KeyRing.from_text("# nothing\n")
    line = format_key_line("k1", generate_key())
    with pytest.raises(ConfigError, match="duplicate"):
        KeyRing.from_text(f"{line}\n{line}")
    env_style = f"a:{format_key_line('x', generate_key()).split()[1]},{line}"
    assert KeyRing.from_text(env_style).active_id == "k1"


def test_lookup_hash_survives_rotation() -> None:
    ring = _ring("k1")
    old = ring.lookup_hash("Anne  DURAND")
    rotated, _kid, _key = ring.with_new_key()
    assert old in rotated.lookup_hashes("anne durand")


def test_embedded_keys_created_0600_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RELAIS_KEYS", raising=False)
    monkeypatch.delenv("RELAIS_AUDIT_SECRET", raising=False)
    config = Config(data_dir=str(tmp_path))
    with caplog.at_level(logging.INFO):
        ring, source = load_keyring(config)
        secret = load_audit_secret(config)
    assert source.kind == "embedded"
    assert source.path is not None
    assert stat.S_IMODE(source.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys" / "audit.secret").stat().st_mode) == 0o600
    assert "created the encryption key file" in caplog.text
    assert len(secret) >= 32
    again, _ = load_keyring(config)
    assert again.keys == ring.keys


def test_keys_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_KEYS", format_key_line("env1", generate_key()))
    ring, source = load_keyring(Config(data_dir=str(tmp_path)))
    assert source.kind == "env"
    assert ring.active_id == "env1"
    assert not (tmp_path / "keys").exists()
