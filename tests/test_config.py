"""The configuration: parsing, unknown keys, secrets, and the example documenting every key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, load_config, parse_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def _missing(cls: type[Any], data: dict[str, Any], prefix: str = "") -> list[str]:
    missing = []
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        default = getattr(cls(), f.name)
        if dataclasses.is_dataclass(default):
            missing += _missing(type(default), data.get(f.name, {}), f"{prefix}{f.name}.")
        elif f.name not in data:
            missing.append(prefix + f.name)
    return missing


def test_the_example_documents_every_key_and_parses() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert _missing(Config, data) == []
    assert load_config(str(EXAMPLE)).matrix.require_encryption is True


def test_unknown_key_names_its_path_and_a_suggestion() -> None:
    with pytest.raises(
        ConfigError, match=r"storage\.urll: unknown key; did you mean storage\.url\?"
    ):
        parse_config('[storage]\nurll = "x"')


def test_the_removed_ignore_unverified_devices_names_its_replacement() -> None:
    with pytest.raises(
        ConfigError, match=r'matrix\.ignore_unverified_devices: removed: use device_trust = "'
    ):
        parse_config("[matrix]\nignore_unverified_devices = true")
    assert parse_config('[matrix]\ndevice_trust = "all"').matrix.device_trust == "all"
    assert parse_config("").matrix.device_trust == "cross-signed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[checkins]\ngrace_period = "soon"', "checkins.grace_period: expected a duration"),
        ('[telegram]\nmode = "push"', "telegram.mode: expected one of polling, webhook"),
        ('[matrix]\ndevice_trust = "some"', "matrix.device_trust: expected one of cross-signed"),
        ("[telegram]\nenabled = 1", "telegram.enabled: expected true or false"),
        ("storage = 3", "expected a table [storage]"),
        ("[storage\n", "not valid TOML"),
    ],
)
def test_bad_values_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        parse_config(text)


def test_secrets_come_from_env_or_file_never_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = parse_config(f'[telegram]\ntoken_file = "{tmp_path / "token"}"')
    monkeypatch.delenv("RELAIS_TELEGRAM_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="cannot read secret file"):
        config.telegram_token.read()
    (tmp_path / "token").write_text("123:abc\n")
    (tmp_path / "token").chmod(0o600)  # a secret file others can read is refused
    assert config.telegram_token.read() == "123:abc"
    monkeypatch.setenv("RELAIS_TELEGRAM_TOKEN", "999:env")
    assert config.telegram_token.read() == "999:env"
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config('[telegram]\ntoken = "123:abc"')


def test_no_config_is_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELAIS_CONFIG", raising=False)
    monkeypatch.delenv("RELAIS_DATA_DIR", raising=False)
    monkeypatch.delenv("RELAIS_DATABASE_URL", raising=False)
    config = load_config(None)
    assert config.database_url().startswith("sqlite:///")
    assert (config.content_path / "dialogs" / "crisis.yaml").is_file()
    assert not config.telegram.enabled
    assert not config.matrix.enabled


def test_a_missing_config_file_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_config("/nonexistent/relais.toml")


def test_the_heartbeat_url_may_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.config import parse_config

    config = parse_config('[operations]\nheartbeat_url = "https://hc.example/ping/file"\n')
    monkeypatch.delenv("RELAIS_HEARTBEAT_URL", raising=False)
    assert config.heartbeat_url == "https://hc.example/ping/file"
    monkeypatch.setenv("RELAIS_HEARTBEAT_URL", "https://hc.example/ping/secret-uuid")
    assert config.heartbeat_url == "https://hc.example/ping/secret-uuid"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[checkins]\ngrace_period = "99999999999999w"', "checkins.grace_period: a duration may"),
        ('[sessions]\nexpiry = "36526d"', "sessions.expiry: a duration may be at most 36525d"),
        ('[checkins]\npage_timeout = "0s"', "checkins.page_timeout: expected a duration longer"),
        ("[publishing]\nreviewers_required = 7", "publishing.reviewers_required: expected a"),
        ("[publishing]\nreviewers_required = -1", "publishing.reviewers_required: expected a"),
        ("[checkins]\nsend_concurrency = 0", "checkins.send_concurrency: expected a whole number"),
        ("[publishing]\ndrafts_per_hour = -5", "publishing.drafts_per_hour: expected a whole"),
        ("[audit]\nanchor_every = 0", "audit.anchor_every: expected a whole number from 1"),
        ('[checkins]\ndefault_time_zone = "Europe/Parys"', "checkins.default_time_zone"),
        ('[checkins]\ndefault_time_zone = "../../etc/x"', "checkins.default_time_zone: expected"),
        ('[checkins]\nfallback_contact = "ghostbusters"', "checkins.fallback_contact: expected a"),
        ('[storage]\nurl = "postgresql://relais:hunter2@db/x"', "storage.url: the URL"),
    ],
)
def test_values_out_of_their_documented_range_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        parse_config(text)


def test_values_in_range_are_accepted() -> None:
    config = parse_config(
        '[checkins]\ngrace_period = "36525d"\nfallback_contact = "on_call_psychologist"\n'
        'default_time_zone = "America/Argentina/Buenos_Aires"\n'
        '[publishing]\nreviewers_required = 0\n[storage]\nurl = "postgresql+asyncpg://relais@db/x"'
    )
    assert config.checkins.grace_period.days == 36525


def test_an_absurd_duration_in_the_file_is_one_clear_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    path = tmp_path / "relais.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n[checkins]\ngrace_period = "99999999999999w"\n')
    assert main(["--config", str(path), "case", "list"]) == 1
    err = capsys.readouterr().err
    assert "checkins.grace_period: a duration may be at most 36525d" in err
    assert "Traceback" not in err
