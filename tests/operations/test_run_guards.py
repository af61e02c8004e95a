"""`relais run` refuses to be the second bot: on one SQLite file (a lock file beside it,
commands still allowed), and on one Matrix account (a lease in the database). Real processes."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.clock import SystemClock
from bot.config import Config, StorageConfig
from bot.operations.lease import matrix_lease_name

ROOT = Path(__file__).resolve().parents[2]
RELAIS = str(Path(sys.executable).parent / "relais")


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_DATABASE_URL"] = url
    env["RELAIS_DATA_DIR"] = str(tmp_path / "data")
    return env


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


async def _relais(env: dict[str, str], *args: str, stdin: int | None = None) -> Any:
    return await asyncio.create_subprocess_exec(
        RELAIS, *args, env=env, cwd=ROOT, stdin=stdin,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_a_second_run_on_one_sqlite_file_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    env = _env(tmp_path, sqlite_url)
    lock = Path(sqlite_url.removeprefix("sqlite:///") + ".run.lock")
    first = await _relais(env, "run", "--console", stdin=asyncio.subprocess.PIPE)
    try:
        for _ in range(600):  # the first one writes who it is into the lock file
            if f"pid {first.pid}" in _read(lock):
                break
            assert first.returncode is None
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the first relais run never took the lock")
        second = await _relais(env, "run", "--console", stdin=asyncio.subprocess.DEVNULL)
        _out, err = await asyncio.wait_for(second.communicate(), 120)
        assert second.returncode == 1
        text = err.decode()
        assert "another relais run already serves the SQLite database" in text
        assert f"pid {first.pid}" in text
        assert "Traceback" not in text
        listing = await _relais(env, "case", "list")  # commands run beside the bot
        _out, err = await asyncio.wait_for(listing.communicate(), 120)
        assert listing.returncode == 0, err.decode()[-2000:]
    finally:
        assert first.stdin is not None
        first.stdin.write(b"/quit\n")
        first.stdin.close()
        try:
            await asyncio.wait_for(first.wait(), 60)
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
    assert _read(lock) == ""  # released: the next run may start


async def test_a_second_process_on_one_matrix_account_is_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, sqlite_url)
    env["RELAIS_MATRIX_PASSWORD"] = "not used"
    env["RELAIS_MATRIX_PICKLE_KEY"] = "not used either"
    config_file = tmp_path / "relais.toml"
    config_file.write_text(
        '[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:9"\n'
        'user_id = "@relais:example.org"\n'
    )
    config = Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url))
    holder = await Relais.open(config, SystemClock())
    try:  # another process (host elsewhere, pid 4242) holds the account's sync stream
        await holder.take_lease(
            matrix_lease_name("@relais:example.org"),
            holder="f" * 32,
            host="relais-a.example.org",
            pid=4242,
            ttl=timedelta(minutes=5),
        )
    finally:
        await holder.close()
    second = await _relais(env, "--config", str(config_file), "run")
    _out, err = await asyncio.wait_for(second.communicate(), 120)
    text = err.decode()
    assert second.returncode == 1, text[-2000:]
    assert "the Matrix account @relais:example.org is already served by another relais" in text
    assert "host relais-a.example.org, pid 4242, since " in text
    assert "Traceback" not in text
