"""`relais run` (serve the enabled channels) and `relais demo` (a terminal chat on demo data)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bot.channels.console import ConsoleChannel, format_reply
from bot.chat.first_message import first_message
from bot.config import Config, load_config
from bot.logjson import JsonFormatter
from bot.logsafe import SafeFormatter
from bot.operations.lease import HeldLease, LeaseHeld, hold_lease, matrix_lease_name
from bot.operations.run_lock import AlreadyRunning, RunLock, sqlite_path
from bot.runtime import Runtime, build_channels, open_runtime, serve
from bot.secretfiles import check_secret_files

__all__ = ["register"]

DEMO_PEOPLE = ("mentor", "coordinator", "psychologist")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="serve the channels enabled in the configuration (Telegram, Matrix)",
        description="Start every enabled channel in one process; stop with Ctrl-C or SIGTERM.",
    )
    run.add_argument(
        "--console",
        action="store_true",
        help="also chat on this terminal as the practitioner bound to console user 'demo'",
    )
    run.set_defaults(func=_run)

    demo = sub.add_parser(
        "demo",
        help="chat in this terminal as a demo practitioner (SQLite, bundled content, demo data)",
    )
    demo.add_argument(
        "--as",
        dest="person",
        choices=DEMO_PEOPLE,
        default="mentor",
        help="which demo person to be (default: mentor)",
    )
    demo.set_defaults(func=_demo)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is when a record is emitted, not as it was when the handler
    was made: a command run in-process (tests, `relais demo`) may swap stderr and close the old
    one, and a handler holding it would fail on every later record."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


def setup_logging(config: Config, *, to_file: Path | None = None) -> None:
    level = getattr(logging, config.log_level, logging.INFO)
    handler: logging.Handler
    if to_file is not None:
        make_private_dir(to_file.parent)
        os.close(os.open(to_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(to_file, 0o600)  # whatever the umask, or the mode of an older log
        handler = logging.FileHandler(to_file, encoding="utf-8")
    else:
        handler = _StderrHandler()
    if config.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library loggers can carry request bodies at DEBUG: keep them at WARNING.
    for noisy in ("httpx", "httpcore", "telegram", "nio", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def make_private_dir(path: Path) -> None:
    """Create `path` (and its parents) readable by this user only (0700), whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    os.umask(0o077)  # everything Relais creates (database, WAL, stores) is for its user only
    setup_logging(config)
    return asyncio.run(_serve(config, console=args.console))


async def _serve(config: Config, *, console: bool) -> int:
    check_secret_files(config)  # keys, tokens, passwords: readable by their owner only
    try:
        run_lock = hold_run_lock(config)  # SQLite: one `relais run` per database file
    except AlreadyRunning as exc:
        print(f"relais: {exc}", file=sys.stderr)
        return 1
    try:
        return await _serve_locked(config, console=console)
    finally:
        if run_lock is not None:
            run_lock.release()


async def _serve_locked(config: Config, *, console: bool) -> int:
    runtime = await open_runtime(config)
    lease: HeldLease | None = None
    try:
        channels = build_channels(runtime)
        stop = asyncio.Event()
        if config.matrix.enabled:  # one process per Matrix account (a lease in the database)
            try:
                lease = await hold_lease(
                    runtime.relais,
                    matrix_lease_name(config.matrix.user_id),
                    f"the Matrix account {config.matrix.user_id}",
                    on_lost=stop.set,
                )
            except LeaseHeld as exc:
                print(f"relais: {exc}", file=sys.stderr)
                return 1
        if console:
            terminal = ConsoleChannel("demo")
            channels.append(terminal)
            asyncio.get_running_loop().create_task(_stop_when_done(terminal, stop))
        if not channels:
            print(
                "relais: no channel is enabled: set [telegram] enabled = true or "
                "[matrix] enabled = true in the configuration (see config.example.toml), "
                "or try `relais demo`.",
                file=sys.stderr,
            )
            return 1
        return await serve(runtime, channels, stop)
    finally:
        if lease is not None:
            await lease.release()
        await runtime.close()


def hold_run_lock(config: Config) -> RunLock | None:
    database = sqlite_path(config.database_url())
    if database is None:
        return None
    database.parent.mkdir(parents=True, exist_ok=True)
    return RunLock.acquire(database)


async def _stop_when_done(channel: ConsoleChannel, stop: asyncio.Event) -> None:
    await channel.finished.wait()
    stop.set()


def _demo(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    os.umask(0o077)  # the demo's database, WAL and keys are for this user only
    make_private_dir(config.data_path)
    setup_logging(config, to_file=config.data_path / "relais-demo.log")
    return asyncio.run(_demo_chat(config, args.person))


async def _demo_chat(config: Config, person: str) -> int:
    from bot.demo import seed_demo

    runtime: Runtime = await open_runtime(config, migrate_schema=True)
    try:
        info = await seed_demo(runtime.relais)
        actor = {
            "mentor": info.mentor,
            "coordinator": info.coordinator,
            "psychologist": info.psychologist,
        }[person]
        user_id = "demo" if person == "mentor" else f"demo-{person}"
        terminal = ConsoleChannel(user_id)
        print(
            f"Relais demo: you are {actor.name}, a demo {person}.\n"
            f"Data: {config.data_path} (delete it to start afresh).\n"
            f"Cases: {', '.join(info.cases)}. Try /crisis, /sos, /cases, /note, /help; "
            "/quit to leave.\n"
            "Demo data only: never type real names or real case details here.\n"
        )
        if info.created:  # a new practitioner: what Relais is, as every channel first says
            chat = runtime.chat
            lang = actor.language or config.default_language
            welcome = await first_message(chat.backend, chat.catalog, chat.dialogs, actor, lang)
            print(format_reply(welcome) + "\n")
        stop = asyncio.Event()
        asyncio.get_running_loop().create_task(_stop_when_done(terminal, stop))
        await serve(runtime, [terminal], stop)
        return 0
    finally:
        await runtime.close()
