"""Secrets that are not safe to use stop Relais with the fix named: a key or secret file others
can read, an all-zero key, a trivially weak audit secret (bot/secretfiles.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, KeysConfig, TelegramConfig
from bot.errors import ConfigError
from bot.keystore import load_audit_secret, load_keyring
from bot.secretfiles import secret_files
from storage.crypto import format_key_line, generate_key

GOOD_SECRET = "Zq8-vK2mT9xLr4Wc7nYb1Hs6Pd3Fg0Ja"


@pytest.fixture(autouse=True)
def _no_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG", "RELAIS_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def _file(path: Path, text: str, mode: int) -> Path:
    path.write_text(text, encoding="ascii")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused_with_the_chmod_fix(
    tmp_path: Path, mode: int
) -> None:
    keys = _file(tmp_path / "keys", format_key_line("k1", generate_key()) + "\n", mode)
    config = Config(data_dir=str(tmp_path), keys=KeysConfig(key_file=str(keys)))
    with pytest.raises(ConfigError, match=rf"chmod 600 {keys}") as raised:
        load_keyring(config)
    assert f"mode {mode:04o}" in str(raised.value)
    keys.chmod(0o600)
    assert load_keyring(config)[0].active_id == "k1"


def test_the_embedded_keys_and_audit_secret_are_checked_too(tmp_path: Path) -> None:
    config = Config(data_dir=str(tmp_path))
    load_keyring(config)
    load_audit_secret(config)  # created 0600: accepted
    (tmp_path / "keys" / "audit.secret").chmod(0o644)
    with pytest.raises(ConfigError, match=r"audit secret file .* can be read by other users"):
        load_audit_secret(config)
    (tmp_path / "keys" / "encryption.keys").chmod(0o640)
    with pytest.raises(ConfigError, match=r"encryption key file .* can be read by other users"):
        load_keyring(config)
    listed = {item.path.name for item in secret_files(config)}
    assert listed == {"encryption.keys", "audit.secret"}


def test_an_audit_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    secret = _file(tmp_path / "audit", GOOD_SECRET, 0o644)
    config = Config(data_dir=str(tmp_path), keys=KeysConfig(audit_secret_file=str(secret)))
    with pytest.raises(ConfigError, match=rf"keys\.audit_secret_file: .*chmod 600 {secret}"):
        load_audit_secret(config)
    secret.chmod(0o400)
    assert load_audit_secret(config) == GOOD_SECRET.encode()


def test_any_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    token = _file(tmp_path / "token", "123:abcdef", 0o644)
    config = Config(telegram=TelegramConfig(token_file=str(token)))
    with pytest.raises(ConfigError, match=r"telegram\.token_file: .*chmod 600"):
        config.telegram_token.read()


@pytest.mark.parametrize("key", [bytes(32), b"\x01" * 32, bytes(range(4)) * 8])
def test_an_all_zero_or_repeated_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: bytes
) -> None:
    monkeypatch.setenv("RELAIS_KEYS", f"k1 {base64.b64encode(key).decode()}")
    with pytest.raises(ConfigError, match="RELAIS_KEYS: the encryption key 'k1' is unsafe"):
        load_keyring(Config(data_dir=str(tmp_path)))


@pytest.mark.parametrize(
    "secret", ["0" * 32, "a" * 64, "passwordpassword", "abcabcabcabcabcabc", "1234567812345678"]
)
def test_a_trivially_weak_audit_secret_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("RELAIS_AUDIT_SECRET", secret)
    with pytest.raises(ConfigError, match="RELAIS_AUDIT_SECRET: the audit secret is trivially"):
        load_audit_secret(Config(data_dir=str(tmp_path)))


def test_the_command_line_refuses_to_start_on_an_exposed_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = _file(tmp_path / "keys", format_key_line("k1", generate_key()) + "\n", 0o644)
    config = tmp_path / "relais.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[keys]\nkey_file = "{keys}"\n')
    assert main(["--config", str(config), "case", "list"]) == 1
    err = capsys.readouterr().err
    assert f"run `chmod 600 {keys}`" in err
    assert "Traceback" not in err
