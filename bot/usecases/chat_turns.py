"""The start of every chat turn in one transaction: dedupe the update, identify the sender,
judge the device it came from and load the conversation (instead of several transactions on the
hot path of every message)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.messages import SenderIdentity
from bot.policy import DeviceTrust, device_trust
from bot.usecases.base import Actor, EntryScope, UseCases, actor_of, channel_statements
from bot.usecases.usage_expiry import count_timeouts
from storage.crypto import DecryptionError
from storage.records import StoredSession

__all__ = ["ChatTurnUseCases", "TurnStart"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TurnStart:
    first_time: bool  # False: this update was handled before (redelivery, restart)
    actor: Actor | None  # None: an unknown (or revoked) chat identity (read even if not the
    # first time: a replayed update whose answer was lost gets a recovery notice)
    session: StoredSession | None  # the chat's unexpired conversation, if any
    #: the device is not trusted, or its identity is not pinned yet: the chat layer has it
    #: recorded and audited (`DeviceTrustUseCases.record_device`)
    record_device: bool = False


class ChatTurnUseCases(UseCases):
    @channel_statements("chat.turn")
    async def begin_turn(
        self,
        scope: EntryScope,
        channel: str,
        user_id: str,
        chat_id: str,
        event_id: str,
        sender: SenderIdentity | None = None,
    ) -> TurnStart:
        """`sender`: the device's cross-signing identity (Matrix); the actor's `device_trust`
        says what the pinned identity makes of it (`bot.policy.device_trust`)."""
        tx = scope.tx
        marked = await tx.access.marked_actor_and_session(
            channel=channel,
            user_id=str(user_id),
            chat_id=str(chat_id),
            event_id=str(event_id),
            now=tx.now,
        )
        if marked is not None:  # PostgreSQL: one statement, one round trip
            first_time, row, joined = marked
        else:
            first_time = await tx.sessions.mark_processed(
                channel=channel, event_id=str(event_id), now=tx.now
            )
            row, joined = await tx.access.actor_and_session(
                channel=channel, user_id=str(user_id), chat_id=str(chat_id)
            )
        if row is None:
            return TurnStart(first_time, None, None)
        if row.identity_unreachable:  # it wrote: reachable again (it had blocked the bot)
            await tx.people.set_identity_unreachable(
                channel=channel, user_id=str(user_id), unreachable=False
            )
        trust = device_trust(row.pinned_key, sender)
        actor = replace(actor_of(row), device_trust=trust)
        record = sender is not None and (
            trust is not DeviceTrust.TRUSTED
            or (row.pinned_key is None and sender.master_key is not None)
        )
        try:
            session = None if joined is None else tx.sessions.from_joined(joined)
        except (DecryptionError, ValueError):
            # An unreadable conversation (a lost key, a damaged row) must not lock the
            # practitioner out: it is dropped, and the chat starts afresh.
            log.warning("dropping an unreadable conversation on %s", channel)
            session = None
            await tx.sessions.delete(channel=channel, chat_id=str(chat_id))
        if session is not None and session.expires_at <= tx.now:
            await count_timeouts(tx, [session])  # usage figures: left there (rare)
            await tx.sessions.delete(channel=channel, chat_id=str(chat_id))
            session = None
        return TurnStart(first_time, actor, session, record)
