"""Replies to Matrix: a `Reply` rendered (`matrix_render`) and sent part by part (`Sender`).

Each part gets a transaction id made from the reply's key and the part's number, so a retry
(or a restart replaying the same event) posts it once. A message to a user goes to their
direct room (`DirectRooms`, created when there is none); someone with no device cannot read an
encrypted message, so they are `unreachable`.
"""

from __future__ import annotations

import logging
import time

from nio import AsyncClient
from nio.crypto import OlmDevice

from bot.channels.base import SendResult
from bot.channels.matrix_render import render_reply
from bot.channels.matrix_rooms import DirectRooms
from bot.channels.matrix_send import NETWORK_ERRORS, Sender, tx_id_for
from bot.channels.matrix_state import MatrixState
from bot.messages import Reply

__all__ = ["send_replies", "send_reply", "send_to_user"]

logger = logging.getLogger(__name__)


async def send_reply(
    sender: Sender,
    room_id: str,
    reply: Reply,
    key: str,
    user_id: str = "",
    *,
    reader: OlmDevice | None = None,
) -> SendResult:
    """Send `reply` to a room; `key` makes the transaction ids (a retry posts once);
    `reader`: a device not cross-signed that may read it (`Sender.send`)."""
    result = SendResult("failed", detail="empty reply")
    contents = render_reply(reply, user_id) if reply.text or reply.buttons else []
    for part, content in enumerate(contents):
        result = await sender.send(room_id, content, tx_id_for(f"{key}.{part}"), reader=reader)
        if result.status != "sent":
            return result
    if reply.attachment is not None:
        name, data = reply.attachment
        uploaded = await sender.upload(room_id, name, data)
        if isinstance(uploaded, SendResult):
            return uploaded
        result = await sender.send(room_id, uploaded, tx_id_for(f"{key}.file"), reader=reader)
    return result


async def send_replies(
    sender: Sender,
    room_id: str,
    replies: list[Reply],
    event_id: str,
    user_id: str,
    reader: OlmDevice | None = None,
) -> None:
    """Send the answers to the event `event_id` in order; one lost is logged (ids only)."""
    for index, reply in enumerate(replies):
        key = f"{event_id}:{index}"
        result = await send_reply(sender, room_id, reply, key, user_id, reader=reader)
        if result.status != "sent":
            logger.error(
                "matrix: reply %d to %s in %s not sent: %s",
                index,
                event_id,
                room_id,
                result.detail,
            )


async def send_to_user(
    client: AsyncClient,
    state: MatrixState,
    sender: Sender,
    user_id: str,
    reply: Reply,
    idempotency_key: str | None = None,
) -> SendResult:
    """Send `reply` to the user's direct room (made if there is none)."""
    try:
        room = await DirectRooms(client, state).room_for(user_id)
    except NETWORK_ERRORS as exc:
        return SendResult("failed", detail=type(exc).__name__)
    if isinstance(room, SendResult):
        return room
    if not await sender.reachable(room, user_id):
        # an encrypted message to someone with no device could never be read
        return SendResult("unreachable", detail="no device")
    key = idempotency_key or f"relais-{time.time_ns()}"
    return await send_reply(sender, room, reply, key, user_id)
