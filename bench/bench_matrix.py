"""Reply latency of the Matrix adapter in an encrypted DM, beside a bare matrix-nio echo bot.

    .venv/bin/python bench/bench_matrix.py [--messages 100] [--handler module:factory]

Starts its own Synapse (tests/fakes/synapse.py), registers a practitioner (an encrypted
matrix-nio client), the Relais bot (`MatrixChannel`) and a bare matrix-nio echo bot with
encryption (`sync_forever` + a callback, as in nio's examples). The practitioner opens one
encrypted DM with each bot and sends messages alternately to one and the other, waiting for each
reply; latency = from the send call to the reply decrypted on the practitioner's side.

The Relais side runs `trivial_handler` (echo) by default. To measure the real chat layer, pass
`--handler package.module:factory` where `factory()` is an async function returning
`(handler, close)`: `handler` a `bot.channels.base.Handler` (e.g. `ChatService.handle`) and
`close` an async callable run at the end. Messages then are the `--text` given (default "/help").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    RoomMessageText,
)
from nio.store import SqliteStore

from bot.channels.base import Handler
from bot.channels.matrix import MatrixChannel
from bot.config import MatrixConfig
from bot.messages import Incoming, Reply
from tests.fakes.synapse import SynapseServer
from tests.matrix.practitioner import Practitioner

HandlerFactory = Callable[[], Awaitable[tuple[Handler, Callable[[], Awaitable[None]]]]]


async def trivial_handler(incoming: Incoming) -> list[Reply]:
    return [Reply(f"echo: {incoming.text}")]


async def trivial_factory() -> tuple[Handler, Callable[[], Awaitable[None]]]:
    async def close() -> None:
        return None

    return trivial_handler, close


class EchoBot:
    """The baseline: the smallest correct matrix-nio bot with encryption."""

    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            homeserver,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(
                store=SqliteStore,
                encryption_enabled=True,
                store_sync_tokens=True,
                pickle_key="echo-bot-bench-pickle-key",
            ),
        )
        self.password = password
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        client = self.client
        response = await client.login(self.password, device_name="echo bot")
        assert isinstance(response, LoginResponse), response

        async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
            if event.state_key == client.user_id and event.membership == "invite":
                await client.join(room.room_id)

        async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
            if event.sender == client.user_id:
                return
            content = {"msgtype": "m.notice", "body": f"echo: {event.body}"}
            await client.room_send(
                room.room_id, "m.room.message", content, ignore_unverified_devices=True
            )

        client.add_event_callback(on_invite, InviteMemberEvent)
        client.add_event_callback(on_message, RoomMessageText)
        await client.sync(timeout=0)  # skip history, as a bot should
        self.task = asyncio.create_task(client.sync_forever(timeout=30_000))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.client.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(practitioner: Practitioner, room: str, text: str) -> float:
    started = time.perf_counter()
    await practitioner.say(room, text)
    await practitioner.next_message(room, timeout=30)
    return (time.perf_counter() - started) * 1000


async def run(messages: int, warmup: int, factory: HandlerFactory, text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        base = Path(tmp)
        synapse = SynapseServer(base / "synapse")
        started = time.perf_counter()
        synapse.start()
        print(f"synapse started in {time.perf_counter() - started:.1f}s on {synapse.base_url}")
        handler, close_handler = await factory()
        relais: MatrixChannel | None = None
        echo: EchoBot | None = None
        practitioner: Practitioner | None = None
        try:
            relais_user = synapse.register("relais", "relais-password")
            echo_user = synapse.register("echo", "echo-password")
            config = MatrixConfig(
                enabled=True,
                homeserver=synapse.base_url,
                user_id=relais_user,
                store_path=str(base / "relais-store"),
                decryption_grace=timedelta(seconds=10),
            )
            relais = MatrixChannel(config, "relais-password", "bench-pickle-key-0123456789")
            await relais.start(handler)
            echo = EchoBot(synapse.base_url, echo_user, "echo-password", base / "echo-store")
            await echo.start()
            practitioner = await Practitioner.create(synapse, "mentor", base / "mentor")
            relais_room = await practitioner.open_dm(relais_user, wait_join=True)
            echo_room = await practitioner.open_dm(echo_user, wait_join=True)

            for n in range(warmup):
                await measure(practitioner, relais_room, f"{text} warm {n}")
                await measure(practitioner, echo_room, f"warm {n}")
            relais_ms: list[float] = []
            echo_ms: list[float] = []
            for n in range(messages):
                # alternate which bot goes first so neither profits from a warm server
                pairs = [(relais_room, relais_ms, text), (echo_room, echo_ms, f"m{n}")]
                for room, results, body in pairs if n % 2 == 0 else reversed(pairs):
                    results.append(await measure(practitioner, room, body))
        finally:
            if practitioner is not None:
                await practitioner.close()
            if echo is not None:
                await echo.stop()
            if relais is not None:
                await relais.stop()
            await close_handler()
            synapse.close()

    print(f"reply latency in an encrypted DM, {messages} messages each (ms):")
    print(f"{'':12}{'p50':>9}{'p99':>9}{'mean':>9}{'max':>9}")
    for name, values in (("relais", relais_ms), ("nio echo", echo_ms)):
        print(
            f"{name:12}{percentile(values, 50):9.1f}{percentile(values, 99):9.1f}"
            f"{statistics.fmean(values):9.1f}{max(values):9.1f}"
        )
    ratio = percentile(relais_ms, 50) / percentile(echo_ms, 50)
    print(f"ratio relais/echo p50: {ratio:.2f} (target <= 1.30)")


def load_factory(spec: str) -> HandlerFactory:
    module_name, _, attribute = spec.partition(":")
    factory: HandlerFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--handler", default="", help="module:factory for the Relais handler")
    parser.add_argument("--text", default="", help="what the practitioner sends to Relais")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # nio warns about routine key fetches
    factory = load_factory(args.handler) if args.handler else trivial_factory
    text = args.text or ("/help" if args.handler else "hello")
    asyncio.run(run(args.messages, args.warmup, factory, text))


if __name__ == "__main__":
    main()
