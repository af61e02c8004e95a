"""The neutral message model between channel adapters and the chat layer.

Adapters (Telegram, Matrix, console) translate network updates into `Incoming` and `Reply` back
into network calls, and nothing else. The chat layer never sees a `telegram` or `nio` object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = [
    "SOS_BUTTON",
    "Button",
    "Document",
    "Incoming",
    "Reply",
    "ReplyKind",
    "SenderIdentity",
    "is_sos",
]

ReplyKind = Literal["notice", "text", "alert"]


@dataclass(frozen=True, slots=True)
class Document:
    """A file a user sent (e.g. a dialog draft). `fetch` downloads it when needed."""

    file_name: str
    size: int
    fetch: Callable[[], Awaitable[bytes]]
    mime_type: str = ""


@dataclass(frozen=True, slots=True)
class SenderIdentity:
    """Who vouches for the device a message came from (Matrix cross-signing).

    - master_key: the sender's cross-signing master key (unpadded base64 ed25519), as the
      homeserver's `/keys/query` returned it and its signatures verified; None when the sender
      has no cross-signing identity (or it could not be fetched)
    - device_cross_signed: the sending device is signed by the owner's self-signing key, itself
      signed by `master_key` (ed25519 signatures over canonical JSON, checked by the adapter)
    - enforced: the channel requires cross-signed devices (`[matrix] device_trust =
      "cross-signed"`, the default); False under `device_trust = "all"` (legacy clients without
      cross-signing): the facts above are still given, but an unsigned device is not held back

    Channels without such identities (Telegram, console) give `Incoming.sender_identity = None`.
    """

    master_key: str | None
    device_cross_signed: bool
    enforced: bool = True


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: a text message, a button press or a document."""

    channel: str  # "telegram" | "matrix" | "console"
    chat_id: str  # where to answer (Telegram chat id, Matrix room id)
    user_id: str  # the platform's fixed user id (never a username)
    event_id: str  # unique per channel: used to process each update once
    received_at: datetime
    text: str | None = None
    button: str | None = None  # the opaque token of a pressed button
    document: Document | None = None
    is_direct: bool = True  # a one-to-one chat with the bot
    encrypted: bool = True  # end-to-end encrypted (Matrix E2EE); Telegram is False
    #: the channel keeps what is said here between the practitioner and Relais, so case text
    #: (notes) may travel by it: declared by the adapter (a Matrix E2EE room, the console;
    #: Telegram only under `[telegram] allow_case_notes`). False unless the adapter says so.
    confidential: bool = False
    #: the channel admits only end-to-end encrypted chats (`[matrix] require_encryption`): a
    #: message that came unencrypted is refused by the chat layer
    encryption_required: bool = False
    display_name: str = ""
    #: received before a restart and replayed from the channel's inbox: it may have been
    #: handled already without its answer reaching the user
    replayed: bool = False
    #: Matrix only: the sender's cross-signing identity and whether the sending device is
    #: signed by it (None on channels without device identities)
    sender_identity: SenderIdentity | None = None


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    token: str  # <= 64 bytes, opaque to adapters


@dataclass(frozen=True, slots=True)
class Reply:
    """Something to show the user. Adapters render buttons natively or as a numbered list."""

    text: str
    buttons: tuple[Button, ...] = ()
    kind: ReplyKind = "notice"
    #: the token of the button press this reply answers, so the adapter can edit that menu
    answers_button: str | None = None
    #: an image to attach (e.g. the picture of a dialog draft): (file name, bytes)
    attachment: tuple[str, bytes] | None = None
    mention_user: bool = False


#: the token of the "Emergency contacts" button under crisis screens (bot.chat.crisis_help)
SOS_BUTTON = "sos"


def is_sos(text: str | None = None, button: str | None = None) -> bool:
    """`/sos`, `!sos` (Matrix), `/sos@RelaisBot` (with or without words after it), or a press of
    the emergency button: what channels and the chat layer answer ahead of a busy chat's queue
    (bot.chat.sos)."""
    if button is not None:
        return button == SOS_BUTTON
    words = text.split(maxsplit=1) if text else []
    head = words[0] if words else ""
    return len(head) > 1 and head[0] in "/!" and head[1:].split("@", 1)[0].lower() == "sos"
