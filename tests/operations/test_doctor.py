"""`relais doctor` (issue 17): one test per finding, on a real installation (SQLite, keys under
the data directory, the fake Telegram Bot API, a small fake homeserver), through the command."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import update

from bot.app import Relais
from bot.cli import main
from bot.config import load_config
from bot.operations import doctor
from storage.models import AuditEntryRow
from tests.fakes.telegram_server import FakeBotApi

NOW = datetime.now(UTC)


class Install:
    def __init__(self, tmp_path: Path, sqlite_url: str) -> None:
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.url = sqlite_url
        self.path = tmp_path / "relais.toml"
        self.extra = ""

    def write(self, extra: str = "") -> str:
        self.extra = extra or self.extra
        self.path.write_text(
            f'data_dir = "{self.data}"\n[storage]\nurl = "{self.url}"\n{self.extra}',
            encoding="utf-8",
        )
        return str(self.path)

    async def doctor(self, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]]]:
        code = await asyncio.to_thread(main, ["--config", str(self.path), "doctor", "--json"])
        return code, list(json.loads(capsys.readouterr().out))


def failing(findings: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {f["check"]: f for f in findings if f["status"] == "fail"}


async def _seed(config_path: str, *, oncall_until: datetime, fallback: bool = True) -> None:
    relais = await Relais.open(load_config(config_path))
    try:
        await relais.ensure_team("North")
        await relais.create_invite(role="mentor", name="Alex", team="North")
        contacts: list[dict[str, Any]] = [
            {"key": "psy", "role": "on_call_psychologist", "name": "Dr D", "phone": "1"}
        ]
        if fallback:
            contacts.append({"key": "sos", "role": "emergency", "name": "SOS", "phone": "112"})
        await relais.import_contacts(
            {
                "contact": contacts,
                "oncall": [
                    {
                        "role": "on_call_psychologist",
                        "contact": "psy",
                        "from": NOW - timedelta(days=1),
                        "to": oncall_until,
                        "position": 0,
                    }
                ],
            },
            team="North",
        )
    finally:
        await relais.close()


@pytest.fixture
async def install(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Install:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    found = Install(tmp_path, sqlite_url)
    await _seed(found.write(), oncall_until=NOW + timedelta(days=7))
    return found


async def test_a_healthy_installation_passes(
    install: Install, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeBotApi() as fake:
        monkeypatch.setenv("RELAIS_TELEGRAM_TOKEN", fake.token)
        install.write(f'[telegram]\nenabled = true\nbase_url = "{fake.base_url}"\n')
        code, findings = await install.doctor(capsys)
    assert code == 0, findings
    checks = {f["check"]: f for f in findings}
    assert {"config", "secret files", "disk", "schema", "keys", "audit", "contacts"} <= set(checks)
    assert "bot @relais_test_bot" in checks["telegram"]["message"]
    assert "able to decrypt" in checks["keys"]["message"]
    assert {f["status"] for f in findings} == {"ok"}
    assert fake.token not in json.dumps(findings)


async def test_an_invalid_configuration(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install.write("[checkins]\ngrace_periode = '2h'\n")
    code, findings = await install.doctor(capsys)
    assert code == 1
    assert "did you mean checkins.grace_period" in failing(findings)["config"]["message"]


async def test_a_secret_file_readable_by_others_and_relais_run_refuses(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = install.data / "keys" / "encryption.keys"
    os.chmod(key_file, 0o644)
    code, findings = await install.doctor(capsys)
    assert code == 1
    bad = failing(findings)["secret files"]
    assert bad["fix"] == f"chmod 600 {key_file}"
    assert "can be read by other users (mode 0644)" in bad["message"]
    code = await asyncio.to_thread(main, ["--config", str(install.path), "run"])
    assert code == 1
    assert f"run `chmod 600 {key_file}`" in capsys.readouterr().err
    os.chmod(key_file, 0o600)
    code, findings = await install.doctor(capsys)
    assert code == 0, findings


async def test_a_schema_not_current(
    install: Install, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    install.url = f"sqlite:///{tmp_path / 'empty.db'}"
    install.write()
    code, findings = await install.doctor(capsys)
    assert code == 1
    assert failing(findings)["schema"]["fix"] == "back up, then run: relais db upgrade"


async def test_keys_that_cannot_decrypt_the_data(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = install.data / "keys" / "encryption.keys"
    os.replace(_fresh_key_file(install.tmp / "other"), key_file)  # another installation's key
    code, findings = await install.doctor(capsys)
    assert code == 1
    assert "cannot decrypt the data" in failing(findings)["keys"]["message"]


def _fresh_key_file(folder: Path) -> Path:
    from bot.config import Config
    from bot.keystore import load_keyring

    load_keyring(Config(data_dir=str(folder)))
    path = folder / "keys" / "encryption.keys"
    os.chmod(path, 0o600)
    return path


async def test_an_audit_chain_tampered_with(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    relais = await Relais.open(load_config(str(install.path)))
    try:
        async with relais.db.transaction(relais.clock.now()) as tx:
            await tx.conn.execute(update(AuditEntryRow).values(action="tampered"))
    finally:
        await relais.close()
    code, findings = await install.doctor(capsys)
    assert code == 1
    assert "relais audit verify" in failing(findings)["audit"]["fix"]


async def test_no_fallback_contact_and_nobody_on_call(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    install = Install(tmp_path, sqlite_url)
    await _seed(install.write(), oncall_until=NOW - timedelta(hours=1), fallback=False)
    code, findings = await install.doctor(capsys)
    assert code == 1
    problems = [f for f in findings if f["status"] == "fail"]
    assert {f["check"] for f in problems} == {"contacts", "on call"}
    assert "team 'North' has no fallback contact (role 'emergency')" in problems[0]["message"]
    assert "nobody on call now for 'on_call_psychologist'" in problems[1]["message"]


async def test_telegram_refusing_the_token_or_unreachable(
    install: Install, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeBotApi() as fake:
        monkeypatch.setenv("RELAIS_TELEGRAM_TOKEN", "999:wrong-token-abcdefghijklmnopqrst")
        install.write(f'[telegram]\nenabled = true\nbase_url = "{fake.base_url}"\n')
        code, findings = await install.doctor(capsys)
        assert code == 1
        assert failing(findings)["telegram"]["message"] == "the Bot API refused the token"
        assert "wrong-token" not in json.dumps(findings)
        base = fake.base_url
    install.write(f'[telegram]\nenabled = true\nbase_url = "{base}"\n')  # the server is gone
    code, findings = await install.doctor(capsys)
    assert code == 1
    assert "cannot reach the Bot API" in failing(findings)["telegram"]["message"]


async def test_disk_space_low(
    install: Install, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "MIN_FREE", 2**62)  # more than any disk has
    code, findings = await install.doctor(capsys)
    assert code == 1
    assert "Relais may stop writing" in failing(findings)["disk"]["message"]


async def _homeserver(
    skew: timedelta, token: str, user: str, device: str, *, published: bool = True
) -> web.AppRunner:
    async def versions(request: web.Request) -> web.Response:
        date = format_datetime(datetime.now(UTC) + skew, usegmt=True)
        return web.json_response({"versions": ["v1.11"]}, headers={"Date": date})

    async def whoami(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"errcode": "M_UNKNOWN_TOKEN"}, status=401)
        return web.json_response({"user_id": user, "device_id": device})

    async def keys(request: web.Request) -> web.Response:
        wanted = (await request.json())["device_keys"]
        found = {
            u: {d: {"keys": {}} for d in ds if d == device and published}
            for u, ds in wanted.items()
        }
        return web.json_response({"device_keys": found})

    app = web.Application()
    app.router.add_get("/_matrix/client/versions", versions)
    app.router.add_get("/_matrix/client/v3/account/whoami", whoami)
    app.router.add_post("/_matrix/client/v3/keys/query", keys)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def test_matrix_session_and_clock(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = await _homeserver(timedelta(minutes=5), "tok", "@relais:x", "DEV1")
    try:
        port = runner.addresses[0][1]
        install.write(
            f'[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:{port}"\n'
            'user_id = "@relais:x"\n'
        )
        code, findings = await install.doctor(capsys)  # never logged in
        checks = {f["check"]: f for f in findings}
        assert checks["matrix"]["status"] == "warn"
        assert "ahead" not in checks["clock"]["message"]
        assert "behind the homeserver's" in checks["clock"]["message"]
        assert code == 1
        store = install.data / "matrix"
        store.mkdir(parents=True)
        creds = {"homeserver": "h", "user_id": "@relais:x", "device_id": "DEV1"}
        (store / "credentials.json").write_text(json.dumps({**creds, "access_token": "tok"}))
        os.chmod(store / "credentials.json", 0o600)
        code, findings = await install.doctor(capsys)
        checks = {f["check"]: f for f in findings}
        assert checks["matrix"]["message"] == "homeserver reachable, logged in (device DEV1)"
        assert checks["matrix device"]["message"] == (
            "encryption keys published; cross-signing not set up"
        )
        runner_keys = await _homeserver(timedelta(0), "tok", "@relais:x", "DEV1", published=False)
        try:  # the bot's device lost its encryption keys on the homeserver
            install.write(
                f'[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:'
                f'{runner_keys.addresses[0][1]}"\nuser_id = "@relais:x"\n'
            )
            code, findings = await install.doctor(capsys)
        finally:
            await runner_keys.cleanup()
        assert code == 1
        checks = {f["check"]: f for f in findings}
        assert checks["matrix device"]["message"] == (
            "device DEV1 has no encryption keys on the homeserver"
        )
        install.write(
            f'[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:{port}"\n'
            'user_id = "@relais:x"\n'
        )
        (store / "credentials.json").write_text(json.dumps({**creds, "access_token": "old"}))
        code, findings = await install.doctor(capsys)
        assert (
            "refused the stored access token (HTTP 401)" in failing(findings)["matrix"]["message"]
        )
    finally:
        await runner.cleanup()
    runner = await _homeserver(timedelta(0), "tok", "@relais:x", "DEV1")
    try:
        port = runner.addresses[0][1]
        install.write(
            f'[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:{port}"\n'
            'user_id = "@relais:x"\n'
        )
        (store / "credentials.json").write_text(json.dumps({**creds, "access_token": "tok"}))
        code, findings = await install.doctor(capsys)
        assert code == 0, findings
        assert {f["check"]: f for f in findings}["clock"]["status"] == "ok"
    finally:
        await runner.cleanup()
