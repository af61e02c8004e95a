"""The neutral channel interface every adapter implements (console, Telegram, Matrix)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.messages import Incoming, Reply

__all__ = ["IDENTITY_CHANGED", "Channel", "Handler", "Inbox", "SendResult"]

#: The chat layer: takes what a user did, returns what to show them.
Handler = Callable[[Incoming], Awaitable[list[Reply]]]


#: A received update kept in the inbox: (event id, the platform's JSON of it).
InboxEntry = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Inbox:
    """A channel's durable inbox, as callables (adapters do not import storage; the runtime
    binds them to `Relais.store_updates`, `pending_updates`, `forget_updates`).

    - store(entries, answered): keep a received batch and forget the event ids answered since
      the last call (one call: one transaction on SQLite, one statement each on
      PostgreSQL); raises if it could not be kept, and the channel must
      then not confirm the batch to its server
    - pending: the kept entries not answered yet (replayed at start)
    - forget(answered): remove the kept entries whose replies have been sent
    """

    store: Callable[[list[InboxEntry], list[str]], Awaitable[None]]
    pending: Callable[[], Awaitable[list[InboxEntry]]]
    forget: Callable[[list[str]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of a send. Adapters never raise for a network failure: they say it here.

    - sent: delivered (message_id is the platform's id)
    - unreachable: the user cannot be reached on this channel (blocked the bot, left, no DM;
      `IDENTITY_CHANGED`: their identity is not the `expected_identity`, which is then
      `master_key`, None when they have none any more)
    - failed: could not send after retries; the caller may try again later (nothing is lost)
    """

    status: Literal["sent", "unreachable", "failed"]
    message_id: str = ""
    detail: str = ""
    master_key: str | None = None


#: `SendResult.detail` of a message not sent because the recipient's identity changed
IDENTITY_CHANGED = "identity changed"


class Channel(Protocol):
    name: str

    async def start(self, handler: Handler) -> None:
        """Connect and begin delivering `Incoming` to `handler`; returns once running."""

    async def stop(self) -> None:
        """Stop receiving, finish in-flight sends, disconnect."""

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,
    ) -> SendResult:
        """Send to a practitioner's direct chat (reminders, pages). The idempotency key makes a
        retried send post once (Matrix: the transaction id). `expected_identity`: the master
        key pinned for the user; a channel with identities (Matrix) sends nothing when the
        user's current one differs (unreachable, `IDENTITY_CHANGED`); others ignore it."""
        ...
