"""Matrix events -> neutral `Incoming` (no network I/O except a document's lazy `fetch`).

- text: `!command` becomes `/command`; the quote a client prepends to a reply is removed;
- files: `m.file` (and images...) become a `Document` whose `fetch` downloads the file and, for an
  encrypted attachment, decrypts it (AES-CTR, SHA-256 checked by nio);
- edits (`m.replace`) are not new input; `m.notice` (automatic messages, other bots) is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nio import (
    AsyncClient,
    ErrorResponse,
    Event,
    MatrixRoom,
    MegolmEvent,
    RoomEncryptedFile,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageText,
)
from nio.crypto.attachments import decrypt_attachment

from bot.channels.matrix_render import normalise_command
from bot.channels.matrix_state import MatrixState
from bot.errors import RelaisError
from bot.messages import Document, Incoming, SenderIdentity

__all__ = [
    "HANDLED_EVENTS",
    "DownloadError",
    "is_answerable",
    "is_new",
    "strip_reply_fallback",
    "to_incoming",
]

#: the timeline events the adapter hands to the chat layer (MegolmEvent: once decrypted)
HANDLED_EVENTS = (RoomMessageText, RoomMessageFile, RoomEncryptedFile, MegolmEvent)


class DownloadError(RelaisError):
    """A document could not be downloaded from the homeserver."""


def is_answerable(event: Event) -> bool:
    """A message a person typed or sent (not an edit, not an automatic notice)."""
    if not isinstance(event, HANDLED_EVENTS):
        return False
    if isinstance(event, MegolmEvent):
        return True  # decided once decrypted
    content = event.source.get("content", {})
    if content.get("msgtype") == "m.notice":
        return False
    relation = content.get("m.relates_to") or {}
    return relation.get("rel_type") != "m.replace"


def strip_reply_fallback(event: Any) -> str:
    """The text typed, without the quote clients prepend to a reply ("> <@u> quoted\n\n")."""
    body = str(event.body)
    content = event.source.get("content", {})
    in_reply_to = (content.get("m.relates_to") or {}).get("m.in_reply_to")
    if not in_reply_to or not body.startswith("> "):
        return body
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines).lstrip("\n")


def to_incoming(
    client: AsyncClient,
    room: MatrixRoom | None,
    room_id: str,
    event: Event,
    *,
    encrypted: bool,
    now: Callable[[], datetime],
    encryption_required: bool = False,
    sender_identity: SenderIdentity | None = None,
) -> Incoming | None:
    """The `Incoming` for a (decrypted) message event, or None if it is not one we handle."""
    if not is_answerable(event) or isinstance(event, MegolmEvent):
        return None
    # a room that grew beyond the practitioner and the bot is never treated as direct
    is_direct = room is not None and room.member_count <= 2
    display_name = (room.user_name(event.sender) or "") if room is not None else ""
    common: dict[str, Any] = {
        "channel": "matrix",
        "chat_id": room_id,
        "user_id": event.sender,
        "event_id": event.event_id,
        "received_at": now(),
        "is_direct": is_direct,
        "encrypted": encrypted,
        "confidential": encrypted,  # an E2EE room may carry case notes
        "encryption_required": encryption_required,  # [matrix] require_encryption
        "display_name": display_name,
        "sender_identity": sender_identity,
    }
    if isinstance(event, RoomMessageText):
        return Incoming(text=normalise_command(strip_reply_fallback(event)), **common)
    if isinstance(event, RoomMessageFile | RoomEncryptedFile):
        return Incoming(document=_document(client, event), **common)
    return None


def _document(client: AsyncClient, event: RoomMessageFile | RoomEncryptedFile) -> Document:
    content = event.source.get("content", {})
    info = content.get("info") or {}
    name = str(content.get("filename") or event.body or "file")

    async def fetch() -> bytes:
        response = await client.download(event.url)
        if isinstance(response, ErrorResponse):
            raise DownloadError(f"download of a Matrix file failed: {response.status_code}")
        body: bytes = response.body
        if isinstance(event, RoomEncryptedFile):
            return bytes(
                decrypt_attachment(body, event.key["k"], event.hashes["sha256"], event.iv)
            )
        return body

    return Document(
        file_name=name,
        size=int(info.get("size") or 0),
        fetch=fetch,
        mime_type=str(info.get("mimetype") or ""),
    )


def is_new(state: MatrixState, user_id: str, room_id: str, event: Event, *, initial: bool) -> bool:
    """True for a message to answer: not ours, not processed yet, not older than our joining
    the room (or the first start), not from the first sync of this device (`initial`). Old
    ones are marked processed; our own membership records when we joined the room."""
    if isinstance(event, RoomMemberEvent) and event.state_key == user_id:
        if event.membership in ("invite", "join"):
            state.set_room_since(room_id, event.server_timestamp)
        return False
    if not is_answerable(event):
        return False  # not a message, an edit, or an automatic notice
    if event.sender == user_id or state.is_processed(event.event_id):
        return False
    since = state.room_since(room_id) or state.first_start_ms
    if initial or event.server_timestamp < min(since, int(time.time() * 1000)):
        state.mark_processed(event.event_id, room_id)
        return False
    return True
