"""Telegram throughput and reply latency, through the fake Bot API server, in one run.

    .venv/bin/python bench/bench_telegram.py [--chats 100] [--turns 10]

Each of `chats` simulated users takes `turns` turns, all users at once: act (say something or
press a button), then wait for the bot's answer (closed loop). We measure messages per second
and the latency from the user's act to the bot's answer arriving at the fake server (p50, p99),
for:

  1. a bare python-telegram-bot echo bot (PTB defaults: one update at a time);
  2. the same with `concurrent_updates(True)` (the fairer baseline: our adapter is concurrent
     across chats);
  3. Relais' TelegramChannel with a handler (here an echo; plug the real chat layer with
     `bench_channel(handler, act=...)`).

Per-chat pacing uses the production defaults (burst 10, then 1/s): keep `turns` <= 10, or the
figures measure the pacing rather than the adapter.

Relais walking a dialog (the whole of Relais: chat layer, engine, encrypted state in SQLite)
is measured twice:

  4. typing the answers ("/crisis", then "2" for the second option, ...): one update in, one
     message out, the echo bot's traffic: compared with (1), the issue's target, and with a
     bare PTB bot sending the same menu (Relais' crisis menu: its text, its 11 buttons);
  5. pressing the buttons: each press costs three Bot API calls that Telegram requires
     (answerCallbackQuery, the edit showing the choice, the next message): compared with the
     bare PTB menu bot making those calls with the same menus, and with the echo bot.

Relais' channel talks to the Bot API over aiohttp (bot/channels/telegram_request.py), the bare
bots over PTB's default httpx: the transport alone makes the channel faster than the echo bot.
So the echo bot and the typed menu bot run a second time over Relais' transport ("[aiohttp]"):
against those, the figures are what Relais' own layers (chat, engine, database, encryption)
cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Message, Update
from telegram.ext import Application, BaseHandler, ContextTypes, MessageHandler, filters

from bot.channels.base import Handler, Inbox
from bot.channels.telegram import TelegramChannel, TelegramLimits
from bot.channels.telegram_request import AiohttpRequest
from bot.messages import Incoming, Reply
from tests.fakes.telegram_server import BotMessage, FakeBotApi

#: one user turn: (fake, chat_id, turn number, the bot's previous message or None)
Act = Callable[[FakeBotApi, int, int, BotMessage | None], Awaitable[None]]


@dataclass(frozen=True)
class Figures:
    """Throughput with every chat at once; latency one message at a time (unloaded)."""

    label: str
    messages: int
    per_second: float
    p50_ms: float
    p99_ms: float
    loaded_p50_ms: float

    def line(self) -> str:
        return (
            f"{self.label:<36} {self.per_second:>7.1f} msg/s   p50 {self.p50_ms:>6.2f} ms  "
            f"p99 {self.p99_ms:>6.2f} ms   (p50 under load {self.loaded_p50_ms:>6.1f} ms)"
        )


async def say_text(fake: FakeBotApi, chat_id: int, turn: int, previous: BotMessage | None) -> None:
    await fake.user_says(chat_id, f"message {turn} from {chat_id}")


async def run_load(
    fake: FakeBotApi,
    chat_ids: list[int],
    turns: int,
    act: Act = say_text,
    *,
    parallel: bool,
) -> tuple[int, float, list[float]]:
    """Each chat: act, wait for the answer, `turns` times; all chats at once or one after the
    other. Returns (messages, seconds, latencies)."""
    latencies: list[float] = []

    async def user(chat_id: int) -> None:
        previous: BotMessage | None = None
        for turn in range(turns):
            started = time.monotonic()
            await act(fake, chat_id, turn, previous)
            previous = await fake.next_message(chat_id, timeout=30)
            latencies.append(previous.sent_at - started)

    begin = time.monotonic()
    if parallel:
        await asyncio.gather(*(user(chat_id) for chat_id in chat_ids))
    else:
        for chat_id in chat_ids:
            await user(chat_id)
    return len(latencies), time.monotonic() - begin, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def measure(
    fake: FakeBotApi, label: str, chats: int, turns: int, act: Act = say_text
) -> Figures:
    loaded_ids = [1000 + n for n in range(chats)]
    quiet_ids = [5000 + n for n in range(max(1, chats // 5))]
    await warm_up(fake, loaded_ids + quiet_ids)
    messages, seconds, loaded = await run_load(fake, loaded_ids, turns, act, parallel=True)
    _, _, quiet = await run_load(fake, quiet_ids, turns, act, parallel=False)
    return Figures(
        label,
        messages,
        messages / seconds,
        statistics.median(quiet) * 1e3,
        percentile(quiet, 0.99) * 1e3,
        statistics.median(loaded) * 1e3,
    )


async def warm_up(fake: FakeBotApi, chat_ids: list[int]) -> None:
    for chat_id in chat_ids:
        await fake.user_says(chat_id, "hello")
    for chat_id in chat_ids:
        await fake.next_message(chat_id, timeout=30)


async def bench_bare_ptb(
    chats: int, turns: int, *, concurrent: bool, aiohttp: bool = False
) -> Figures:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    handlers: list[BaseHandler[Any, Any, Any]] = [MessageHandler(filters.TEXT, echo)]
    async with bare_ptb(handlers, concurrent=concurrent, aiohttp=aiohttp) as fake:
        label = "bare PTB echo" + (" (concurrent_updates)" if concurrent else "")
        return await measure(fake, label + (" [aiohttp]" if aiohttp else ""), chats, turns)


@contextlib.asynccontextmanager
async def bare_ptb(
    handlers: list[BaseHandler[Any, Any, Any]], *, concurrent: bool = False, aiohttp: bool = False
) -> AsyncIterator[FakeBotApi]:
    """A python-telegram-bot Application with `handlers`, polling the fake server (PTB
    defaults otherwise; `aiohttp`: over Relais' Bot API transport, as Relais' channel is,
    instead of PTB's httpx one), for as long as the block runs."""
    async with FakeBotApi() as fake:
        builder = (
            Application.builder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .job_queue(None)
            .concurrent_updates(concurrent)
        )
        if aiohttp:
            builder = builder.request(AiohttpRequest(8)).get_updates_request(AiohttpRequest(1))
        app = builder.build()
        app.add_handlers(handlers)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        try:
            yield fake
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()


async def echo_handler(incoming: Incoming) -> list[Reply]:
    return [Reply(incoming.text or "")]


async def bench_channel(
    handler: Handler,
    *,
    chats: int = 100,
    turns: int = 10,
    act: Act = say_text,
    label: str = "Relais TelegramChannel",
    limits: TelegramLimits | None = None,
    inbox: Inbox | None = None,
) -> Figures:
    """Relais' adapter with `handler` (plug the real chat layer here; `inbox`: the durable
    inbox, as `relais run` gives it)."""
    async with FakeBotApi() as fake:
        channel = TelegramChannel(
            fake.config(poll_timeout=1), fake.token, limits=limits, inbox=inbox
        )
        await channel.start(handler)
        try:
            return await measure(fake, label, chats, turns, act)
        finally:
            await channel.stop()


async def walk_crisis(
    fake: FakeBotApi, chat_id: int, turn: int, previous: BotMessage | None
) -> None:
    """Walking the bundled crisis dialog with buttons: open it, press the second option
    ("calm things down"), open it again..."""
    if turn % 2 == 0 or previous is None or not previous.buttons:
        await fake.user_says(chat_id, "/crisis")
    else:
        await fake.press(chat_id, previous.message_id, previous.buttons[1][1])


async def type_crisis(
    fake: FakeBotApi, chat_id: int, turn: int, previous: BotMessage | None
) -> None:
    """The same walk, typing the answers as a mentor may: "/crisis", then "2"."""
    if turn % 2 == 0 or previous is None or not previous.buttons:
        await fake.user_says(chat_id, "/crisis")
    else:
        await fake.user_says(chat_id, "2")


async def crisis_menu() -> tuple[str, list[str]]:
    """The text and button labels of Relais' crisis menu (what /crisis shows a mentor)."""
    import tempfile
    from datetime import UTC, datetime

    from bot.config import Config
    from bot.runtime import open_runtime

    with tempfile.TemporaryDirectory() as data:
        runtime = await open_runtime(Config(data_dir=data), migrate_schema=True)
        try:
            await runtime.relais.ensure_team("Bench")
            invite = await runtime.relais.create_invite(role="mentor", name="M", team="Bench")
            await runtime.relais.redeem_invite("telegram", "1", invite.code)
            replies = await runtime.chat.handle(
                Incoming("telegram", "1", "1", "1", datetime.now(UTC), "/crisis", encrypted=False)
            )
        finally:
            await runtime.close()
    menu = next(reply for reply in replies if reply.buttons)
    return menu.text, [button.label for button in menu.buttons]


async def bench_ptb_menu(chats: int, turns: int, *, act: Act, aiohttp: bool = False) -> Figures:
    """A bare PTB bot showing Relais' crisis menu (same text, same buttons, HTML) for every
    message, and for a press making the calls Relais makes: answer it, edit the pressed menu to
    show the choice, send the menu again. The cheapest bot with Relais' Bot API traffic."""
    from html import escape

    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.constants import ParseMode
    from telegram.ext import CallbackQueryHandler

    text, labels = await crisis_menu()
    html = escape(text, quote=False)
    presses = 0

    def menu() -> InlineKeyboardMarkup:
        nonlocal presses
        presses += 1
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=f"m.{presses}.{n}")]
                for n, label in enumerate(labels)
            ]
        )

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=menu())

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        assert isinstance(query.message, Message)
        await query.answer()
        chosen = labels[int((query.data or "0.0.0").rsplit(".", 1)[1])]
        await query.edit_message_text(f"{html}\n\n→ {escape(chosen)}", parse_mode=ParseMode.HTML)
        await query.message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=menu())

    handlers = [MessageHandler(filters.TEXT, on_text), CallbackQueryHandler(on_press)]
    async with bare_ptb(handlers, aiohttp=aiohttp) as fake:
        label = "bare PTB menu bot, " + ("buttons" if act is walk_crisis else "typed")
        return await measure(fake, label + (" [aiohttp]" if aiohttp else ""), chats, turns, act)


@contextlib.asynccontextmanager
async def fresh_database(postgres: str) -> AsyncIterator[str]:
    """An empty PostgreSQL database beside the one `postgres` names, dropped afterwards ("":
    SQLite, a fresh file under the run's data directory)."""
    if not postgres:
        yield ""
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(postgres)
    name = f"relais_bench_tg_{os.getpid()}_{next(_databases)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(
            host=base.host,
            port=base.port or 5432,
            user=base.username,
            password=base.password,
            database=base.database or "postgres",
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin(f"CREATE DATABASE {name}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_databases = itertools.count(1)


async def bench_relais(chats: int, turns: int, postgres: str = "", *, act: Act) -> Figures:
    """The whole of Relais (chat layer, engine, SQLite, encryption, audit) behind the adapter,
    every simulated chat an enrolled mentor walking the crisis dialog."""
    async with fresh_database(postgres) as database_url:
        return await _bench_relais(chats, turns, database_url, act=act)


async def _bench_relais(chats: int, turns: int, database_url: str, *, act: Act) -> Figures:
    import tempfile

    from bot.config import Config, StorageConfig
    from bot.runtime import inbox_of, open_runtime

    with tempfile.TemporaryDirectory() as data:
        config = Config(data_dir=data, storage=StorageConfig(url=database_url))
        runtime = await open_runtime(config, migrate_schema=True)
        try:
            await runtime.relais.ensure_team("Bench")
            for chat_id in [1000 + n for n in range(chats)] + [5000 + n for n in range(chats)]:
                invite = await runtime.relais.create_invite(
                    role="mentor", name=f"M{chat_id}", team="Bench"
                )
                await runtime.relais.redeem_invite("telegram", str(chat_id), invite.code)
            return await bench_channel(
                runtime.chat.handle,
                inbox=inbox_of(runtime.relais, "telegram"),
                chats=chats,
                turns=turns,
                act=act,
                label="Relais, crisis dialog, "
                + ("buttons" if act is walk_crisis else "typed answers"),
            )
        finally:
            await runtime.close()


def median_figures(runs: list[Figures]) -> Figures:
    return Figures(
        runs[0].label,
        sum(r.messages for r in runs),
        statistics.median(r.per_second for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        statistics.median(r.loaded_p50_ms for r in runs),
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--turns", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default="",
        help="run Relais on PostgreSQL: a fresh database created beside this one for each run",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    print(
        f"throughput: {args.chats} chats x {args.turns} turns at once (closed loop); latency: "
        f"{max(1, args.chats // 5)} chats x {args.turns} turns one at a time; median of "
        f"{args.rounds} interleaved rounds; all through the fake Bot API in this process"
    )
    benches: dict[str, Callable[[], Awaitable[Figures]]] = {
        "ptb": lambda: bench_bare_ptb(args.chats, args.turns, concurrent=False),
        "ptb-concurrent": lambda: bench_bare_ptb(args.chats, args.turns, concurrent=True),
        "ptb-menu-typed": lambda: bench_ptb_menu(args.chats, args.turns, act=type_crisis),
        "ptb-menu-buttons": lambda: bench_ptb_menu(args.chats, args.turns, act=walk_crisis),
        "ptb-aiohttp": lambda: bench_bare_ptb(
            args.chats, args.turns, concurrent=False, aiohttp=True
        ),
        "ptb-menu-typed-aiohttp": lambda: bench_ptb_menu(
            args.chats, args.turns, act=type_crisis, aiohttp=True
        ),
        "relais": lambda: bench_channel(echo_handler, chats=args.chats, turns=args.turns),
        "relais-typed": lambda: bench_relais(
            args.chats, args.turns, args.database_url, act=type_crisis
        ),
        "relais-buttons": lambda: bench_relais(
            args.chats, args.turns, args.database_url, act=walk_crisis
        ),
    }
    runs: dict[str, list[Figures]] = {name: [] for name in benches}
    for _ in range(args.rounds):
        for name, bench in benches.items():
            runs[name].append(await bench())
    figures = {name: median_figures(r) for name, r in runs.items()}
    for result in figures.values():
        print(result.line())
    print()
    comparisons = [
        ("relais", "ptb", ""),
        ("relais", "ptb-concurrent", ""),
        ("relais-typed", "ptb", "the issue's target: x0.70, +10 ms"),
        ("relais-typed", "ptb-menu-typed", "same replies: x0.70, +10 ms"),
        ("relais-buttons", "ptb-menu-buttons", "same Bot API calls: x0.70, +10 ms"),
        ("relais-buttons", "ptb", "3 Bot API calls a press against 1"),
        ("relais-typed", "ptb-aiohttp", "the same Bot API transport: Relais' own layers"),
        ("relais-typed", "ptb-menu-typed-aiohttp", "the same transport and replies"),
    ]
    for mine, base_name, note in comparisons:
        relais, base = figures[mine], figures[base_name]
        print(
            f"{relais.label} vs {base.label}: throughput "
            f"x{relais.per_second / base.per_second:.2f}, "
            f"p50 latency {relais.p50_ms - base.p50_ms:+.2f} ms" + (f"   ({note})" if note else "")
        )


if __name__ == "__main__":
    asyncio.run(main())
