"""The neutral channel interface every adapter implements (console, Telegram, Matrix)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.messages import Incoming, Reply

__all__ = ["Channel", "Handler", "SendResult"]

#: The chat layer: takes what a user did, returns what to show them.
Handler = Callable[[Incoming], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of a send. Adapters never raise for a network failure: they say it here.

    - sent: delivered (message_id is the platform's id)
    - unreachable: the user cannot be reached on this channel (blocked the bot, left, no DM)
    - failed: could not send after retries; the caller may try again later (nothing is lost)
    """

    status: Literal["sent", "unreachable", "failed"]
    message_id: str = ""
    detail: str = ""


class Channel(Protocol):
    name: str

    async def start(self, handler: Handler) -> None:
        """Connect and begin delivering `Incoming` to `handler`; returns once running."""

    async def stop(self) -> None:
        """Stop receiving, finish in-flight sends, disconnect."""

    async def send_to_user(
        self, user_id: str, reply: Reply, idempotency_key: str | None = None
    ) -> SendResult:
        """Send to a practitioner's direct chat (reminders, pages). The idempotency key makes a
        retried send post once (Matrix: the transaction id)."""
        ...
