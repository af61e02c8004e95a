"""The real Relais chat layer as a benchmark handler (bench_matrix.py --handler ...).

    .venv/bin/python bench/bench_matrix.py --handler bench.relais_handler:factory --text /crisis

Opens Relais on a fresh SQLite database with the bundled content; whoever writes first is
enrolled as a mentor (benchmark only), so every measured message runs the whole path:
dedupe, identification, the dialog engine, encrypted session state, audit.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable

from bot.channels.base import Handler
from bot.config import Config
from bot.messages import Incoming, Reply
from bot.runtime import open_runtime


async def factory() -> tuple[Handler, Callable[[], Awaitable[None]]]:
    data = tempfile.TemporaryDirectory()
    runtime = await open_runtime(Config(data_dir=data.name), migrate_schema=True)
    await runtime.relais.ensure_team("Bench")
    enrolled: set[tuple[str, str]] = set()

    async def handler(incoming: Incoming) -> list[Reply]:
        who = (incoming.channel, incoming.user_id)
        if who not in enrolled:
            if await runtime.relais.identify(*who) is None:
                invite = await runtime.relais.create_invite(
                    role="mentor", name=f"Bench {len(enrolled)}", team="Bench"
                )
                await runtime.relais.redeem_invite(*who, invite.code)
            enrolled.add(who)
        return await runtime.chat.handle(incoming)

    async def close() -> None:
        await runtime.close()
        data.cleanup()

    return handler, close
