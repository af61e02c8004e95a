"""Nothing lost when the bot is killed: a real `relais run` (SQLite, Telegram polling against the
fake Bot API server) is SIGKILLed while several chats' messages have been fetched and confirmed
to Telegram (the fake will not send them again) but not yet answered (replies are held up by a
slow sendMessage). Restarted, it answers every message exactly once: the kept updates are
replayed from the inbox, and `processed_updates` keeps a handled one from being answered twice.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Relais
from storage.models import InboundUpdateRow
from tests.checkins.conftest import sqlite_relais
from tests.checkins.test_crash_telegram import _config_file, _spawn
from tests.fakes.telegram_server import FakeBotApi

__all__ = ["sqlite_relais"]  # the fixture

CHATS = [7001, 7002, 7003, 7004, 7005]
PER_CHAT = 4


@pytest.mark.slow
async def test_killed_while_updates_wait_then_every_message_is_answered_once(
    sqlite_relais: Relais, tmp_path: Path
) -> None:
    relais = sqlite_relais
    async with FakeBotApi() as fake:
        config = _config_file(tmp_path, relais, fake)
        log = tmp_path / "relais.log"
        proc = await _spawn(config, fake.token, log)
        try:
            await fake.wait_call("getUpdates", timeout=30)
            fake.delay("sendMessage", 1.5)  # the first reply of each chat is held up
            refs = [
                await fake.user_says(chat, f"message {n}")
                for n in range(PER_CHAT)
                for chat in CHATS
            ]
            last = max(ref.update_id for ref in refs)
            # Fetched, kept, and confirmed to Telegram by the next getUpdates: the fake drops
            # them and will never send them again.
            await fake.wait_for(lambda: fake.confirmed_offset > last, timeout=10, what="confirm")
            assert fake.pending_updates == 0
            await asyncio.sleep(0.2)  # the lanes are busy with the first of each chat
            assert len(fake.calls("sendMessage")) == 0, "answered before the kill"
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
        assert proc.returncode == -signal.SIGKILL, log.read_text()[-2000:]
        fake.delay("sendMessage", 0)
        async with relais.db.connect() as conn:
            kept = (
                await conn.execute(select(func.count()).select_from(InboundUpdateRow))
            ).scalar()
            await conn.rollback()
        assert kept == len(refs)  # every fetched update was kept before it was confirmed

        proc = await _spawn(config, fake.token, log)
        try:
            for chat in CHATS:
                await fake.wait_for(
                    lambda chat=chat: len(fake.sent(chat)) >= PER_CHAT,
                    timeout=30,
                    what=f"every answer in chat {chat}",
                )
            await asyncio.sleep(1.0)  # a copy would arrive now
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 20)
        assert proc.returncode == 0, log.read_text()[-2000:]
        for chat in CHATS:
            assert len(fake.sent(chat)) == PER_CHAT, f"chat {chat}: {len(fake.sent(chat))}"
        async with relais.db.connect() as conn:
            left = (
                await conn.execute(select(func.count()).select_from(InboundUpdateRow))
            ).scalar()
            await conn.rollback()
        await relais.close()
    assert left == 0  # handled, then forgotten (at stop)
