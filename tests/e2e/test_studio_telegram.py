"""Relais Studio as `relais run` serves it, with the link from Telegram: the fake Bot API
server, python-telegram-bot's real HTTP stack, the runtime with `[studio] listen` set. A
psychologist sends /studio, the link logs her in, the dialog list is there; a mentor gets no
link."""

from __future__ import annotations

import os
import re
from pathlib import Path

import aiohttp

from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import _start_studio, open_runtime
from bot.studio.config import StudioConfig
from tests.fakes.telegram_server import FakeBotApi
from tests.studio.conftest import free_port
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

PIA, MINA = 801, 802


async def test_studio_link_over_telegram_logs_in(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> None:
    port = free_port()
    async with FakeBotApi() as fake:
        config = Config(
            data_dir=str(tmp_path / "data"),
            content_dir=str(chat_content),
            storage=StorageConfig(url=sqlite_url),
            telegram=fake.config(poll_timeout=1),
            studio=StudioConfig(listen=f"127.0.0.1:{port}", public_url=f"http://127.0.0.1:{port}"),
        )
        runtime = await open_runtime(config, clock)
        channel = TelegramChannel(
            config.telegram,
            fake.token,
            limits=FAST_LIMITS,
            commands={lang: runtime.catalog.commands(lang) for lang in LANGUAGES},
        )
        await channel.start(runtime.chat.handle)
        studio = await _start_studio(runtime)
        try:
            assert studio is not None
            for chat, role, name in ((PIA, "psychologist", "Pia"), (MINA, "mentor", "Mina")):
                invite = await runtime.relais.create_invite(role=role, name=name)
                await fake.user_says(chat, f"/start {invite.code}")
                await fake.next_message(chat, timeout=10)

            await fake.user_says(MINA, "/studio")
            refused = await fake.next_message(MINA, timeout=10)
            assert "/login/" not in refused.text

            await fake.user_says(PIA, "/studio")
            answer = await fake.next_message(PIA, timeout=10)
            assert "valid 5 minutes, once" in answer.text
            found = re.search(r"(http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+)", answer.text)
            assert found is not None, answer.text
            jar = aiohttp.CookieJar(unsafe=True)
            async with (
                aiohttp.ClientSession(cookie_jar=jar) as client,
                client.post(found.group(1)) as response,  # follows to the list
            ):
                assert response.status == 200
                body = await response.text()
            assert "Logged in as Pia" in body
            assert 'href="/dialogs/crisis"' in body
        finally:
            if studio is not None:
                await studio.stop()
            await channel.stop()
            await runtime.close()
