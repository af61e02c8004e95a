"""The console channel: a terminal chat behind the same interface as Telegram and Matrix.

Options are shown as numbered choices; the user types a number, an option's text, a command
(/sos, /cancel, /help...) or free text. Used by `relais demo` and by tests (any text streams).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from bot.channels.base import Handler, SendResult
from bot.messages import Incoming, Reply

__all__ = ["ConsoleChannel", "format_reply"]


def format_reply(reply: Reply) -> str:
    lines = [reply.text]
    if reply.kind == "alert":
        lines[0] = f"!! {reply.text}"
    for number, button in enumerate(reply.buttons, start=1):
        lines.append(f"  {number}. {button.label}")
    if reply.attachment is not None:
        lines.append(f"  [attachment: {reply.attachment[0]}, {len(reply.attachment[1])} bytes]")
    return "\n".join(lines)


class ConsoleChannel:
    """Reads lines from `stdin`, answers on `stdout`. One user, one chat."""

    name = "console"

    def __init__(
        self,
        user_id: str = "demo",
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        prompt: str = "> ",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.user_id = user_id
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._prompt = prompt
        self._now = now
        self._handler: Handler | None = None
        self._task: asyncio.Task[None] | None = None
        self._counter = itertools.count(1)
        self.finished = asyncio.Event()

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._task = asyncio.create_task(self._read_loop(), name="console-channel")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.finished.set()

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,  # no identities on this channel
    ) -> SendResult:
        if user_id != self.user_id:
            return SendResult("unreachable", detail="not the console user")
        self._write(format_reply(reply))
        return SendResult("sent", message_id=str(next(self._counter)))

    async def submit(self, text: str) -> list[Reply]:
        """Handle one line as if typed, print and return the replies."""
        assert self._handler is not None, "start() the channel first"
        incoming = Incoming(
            channel="console",
            chat_id=f"console:{self.user_id}",
            user_id=self.user_id,
            event_id=f"{self._now().timestamp():.6f}-{next(self._counter)}",
            received_at=self._now(),
            text=text,
            confidential=True,  # a terminal on the operator's machine
        )
        replies = await self._handler(incoming)
        for reply in replies:
            self._write(format_reply(reply))
        return replies

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._stdout.write(self._prompt)
                self._stdout.flush()
                line = await loop.run_in_executor(None, self._stdin.readline)
                if not line:
                    break
                text = line.strip()
                if text in ("/quit", "/exit"):
                    break
                if text:
                    await self.submit(text)
        finally:
            self.finished.set()

    def _write(self, text: str) -> None:
        self._stdout.write(text + "\n\n")
        self._stdout.flush()
