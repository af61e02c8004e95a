"""`/healthz` and `/metrics` (issue 17): each health state, and metrics without any user, case or
text in them. In process with the fake clock (each state), then a real `relais run` against the
fake Bot API (the channel's own poll reports, a message counted, the channel going down)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.app import Relais
from bot.operations.health import Health
from bot.operations.metrics import Metrics, OpsServer
from storage.database import Database
from storage.db import create_engine
from tests.checkins.conftest import CASE, Team, at_paris
from tests.checkins.test_dispatch import weekly
from tests.fakes.telegram_server import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
STALE = timedelta(minutes=2)


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


@pytest.fixture
async def ops(team: Team) -> AsyncIterator[tuple[Health, OpsServer]]:
    health = Health(team.clock, stale_after=STALE, dispatcher=lambda: team.dispatcher)
    server = OpsServer("127.0.0.1:0", team.relais.db, health, Metrics(health))
    await server.start()
    try:
        yield health, server
    finally:
        await server.stop()


async def test_healthz_states(team: Team, ops: tuple[Health, OpsServer], tmp_path: Path) -> None:
    health, server = ops
    url = f"http://127.0.0.1:{server.port}/healthz"
    health.watch(team.telegram)  # a channel that polls
    status, body = await _get(url)  # nothing has run yet
    assert status == 503
    assert "dispatcher: last tick never" in body
    assert "telegram: last sync or poll never" in body
    assert "database: ok" in body

    await team.tick()
    health.polled("telegram", True)  # what the adapter reports after a getUpdates answered
    status, body = await _get(url)
    assert (status, body) == (200, "ok\ndatabase: ok\ndispatcher: ok\ntelegram: ok\n")

    team.clock.advance(STALE + timedelta(seconds=1))  # the dispatcher stopped ticking
    health.polled("telegram", True)
    status, body = await _get(url)
    assert status == 503
    assert "dispatcher: last tick 121 s ago" in body
    assert "telegram: ok" in body

    await team.tick()
    health.polled("telegram", False)  # the Bot API does not answer any more
    status, body = await _get(url)
    assert status == 503
    assert "telegram: disconnected, last sync or poll 0 s ago" in body

    health.polled("telegram", True)
    team.clock.advance(STALE + timedelta(seconds=1))
    await team.tick()
    status, body = await _get(url)  # connected, but silent for too long
    assert status == 503
    assert "telegram: last sync or poll 121 s ago" in body

    health.polled("telegram", True)
    status, _ = await _get(url)
    assert status == 200
    # the database server is down: the same endpoint on a database nothing listens for
    gone = Database(
        create_engine(f"postgresql://relais@127.0.0.1:{_free_port()}/relais"),
        team.relais.db.keys,
        team.relais.db.audit_log,
    )
    server.db = gone
    try:
        status, body = await _get(url)
    finally:
        await gone.close()
    assert status == 503
    assert "database: does not answer (" in body
    assert health.database_errors == 1


async def test_metrics_count_what_matters_and_name_nobody(
    team: Team, ops: tuple[Health, OpsServer]
) -> None:
    health, server = ops
    url = f"http://127.0.0.1:{server.port}/metrics"
    health.watch(team.telegram)
    health.polled("telegram", True)
    await team.service.page_contact(team.mentor, "emergency", CASE)  # never acknowledged
    await team.tick()
    team.take(team.fallback, "Contact requested now")
    team.take(team.mentor, "Nobody on call acknowledged")
    team.telegram.failing.add("t-mentor")
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 1))
    health.polled("telegram", True)  # the adapter polls all along
    status, text = await _get(url)
    assert status == 200
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["relais_outbox_depth"] == 1  # the failing reminder
    assert values["relais_outbox_oldest_unsent_seconds"] == 60
    assert values["relais_pages_unacknowledged"] == 1
    assert values['relais_channel_up{channel="telegram"}'] == 1
    assert values["relais_escalations_started_total"] == 0
    assert values["relais_database_errors_total"] == 0
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    team.take(team.owner, "Missed check-in")
    await team.run_until(at_paris(2026, 1, 5, 15, 11))
    for who in (team.coordinator, team.fallback):
        team.take(who, "Missed check-in")
    team.take(team.owner, "could not deliver")
    team.take(team.coordinator, "could not deliver")
    _, text = await _get(url)
    assert 'relais_deliveries_failed{reason="telegram:failed"} 1.0' in text
    assert "relais_escalations_started_total 3.0" in text
    assert "relais_outbox_depth 0.0" in text
    for private in (CASE, "t-mentor", "mentor", team.mentor.practitioner_id):
        assert private not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
async def test_relais_run_serves_health_and_metrics(sqlite_relais: Relais, tmp_path: Path) -> None:
    relais = sqlite_relais
    port = _free_port()
    async with FakeBotApi() as fake:
        config = tmp_path / "relais.toml"
        config.write_text(
            f'data_dir = "{relais.config.data_dir}"\nlog_level = "WARNING"\n'
            f'[storage]\nurl = "{relais.config.database_url()}"\n'
            f'[telegram]\nenabled = true\nbase_url = "{fake.base_url}"\n'
            f'base_file_url = "{fake.base_file_url}"\npoll_timeout = 1\n'
            f'[checkins]\npoll_interval = "1s"\n'
            f'[metrics]\nlisten = "127.0.0.1:{port}"\nstale_after = "1s"\n',
            encoding="utf-8",
        )
        await relais.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
        env["RELAIS_TELEGRAM_TOKEN"] = fake.token
        log = tmp_path / "relais.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "import sys; from bot.cli import main; sys.exit(main())",
                "--config",
                str(config),
                "run",
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            status, body = 0, ""
            while status != 200:
                assert proc.returncode is None, log.read_text()[-2000:]
                assert loop.time() < deadline, body
                with contextlib.suppress(aiohttp.ClientError):
                    status, body = await _get(f"{base}/healthz")
                await asyncio.sleep(0.2)
            assert body == "ok\ndatabase: ok\ndispatcher: ok\ntelegram: ok\n"
            fake.add_user(4242, "Nobody")
            await fake.user_says(4242, "hello")
            await fake.next_message(4242, timeout=20)
            _, text = await _get(f"{base}/metrics")
            assert 'relais_messages_handled_total{channel="telegram"} 1.0' in text
            assert 'relais_replies_sent_total{channel="telegram"} 1.0' in text
            assert 'relais_reply_seconds_count{channel="telegram"} 1.0' in text
            assert 'relais_channel_up{channel="telegram"} 1.0' in text
            assert "hello" not in text
            assert "4242" not in text

            fake.outage("getUpdates", 60.0)  # Telegram stops answering the polls
            deadline = loop.time() + 60
            while status == 200:
                assert loop.time() < deadline, body
                await asyncio.sleep(0.3)
                status, body = await _get(f"{base}/healthz")
            assert status == 503
            assert "telegram: disconnected" in body
            assert "database: ok" in body
            _, text = await _get(f"{base}/metrics")
            assert 'relais_channel_up{channel="telegram"} 0.0' in text
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
