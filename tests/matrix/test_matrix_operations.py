"""Issue 17 against a real Synapse: the Matrix channel reports each sync to the health monitor
(working, then down while the homeserver is, then working again), and `relais doctor` checks the
bot's stored session (whoami: its account and device) and the clock against the homeserver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Relais
from bot.cli import main
from bot.clock import SystemClock
from bot.config import load_config
from bot.operations.health import Health
from tests.fakes.synapse import SynapseServer
from tests.matrix.conftest import BotFactory, RecordingHandler

pytestmark = pytest.mark.synapse


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_matrix_health_and_doctor(
    synapse: SynapseServer,
    bots: BotFactory,
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    bot = await bots.start(RecordingHandler())
    health = Health(SystemClock(), stale_after=timedelta(seconds=30))
    health.watch(bot)
    await _until(lambda: health.channel_working("matrix"), 20, "a sync to be reported")

    config = tmp_path / "relais.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[storage]\nurl = "{sqlite_url}"\n'
        f'[matrix]\nenabled = true\nhomeserver = "{synapse.base_url}"\n'
        f'user_id = "{bot.config.user_id}"\nstore_path = "{bot.config.store_path}"\n',
        encoding="utf-8",
    )
    await (await Relais.open(load_config(str(config)))).close()  # creates the keys
    code = await asyncio.to_thread(main, ["--config", str(config), "doctor", "--json"])
    findings = {f["check"]: f for f in json.loads(capsys.readouterr().out)}
    assert code == 0, findings
    assert findings["matrix"]["message"].startswith("homeserver reachable, logged in (device ")
    assert findings["clock"]["status"] == "ok"
    assert findings["matrix device"]["message"].startswith("encryption keys published")

    await asyncio.to_thread(synapse.stop)
    try:
        await _until(lambda: not health.channel_working("matrix"), 30, "the failed sync")
        assert health.channels["matrix"].failures >= 1
    finally:
        await asyncio.to_thread(synapse.start)
    await _until(lambda: health.channel_working("matrix"), 90, "a sync after the restart")
