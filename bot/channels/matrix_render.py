"""Turn a neutral `Reply` into Matrix `m.room.message` contents (no I/O).

- Buttons become a numbered list ("1. label") after the text; the chat layer maps a typed number
  or an option's text back to the button.
- Routine replies are `m.notice` (clients and other bots treat them as automatic); replies of kind
  "text" or "alert", and any reply with `mention_user`, are `m.text` and mention the practitioner.
- Every message has a plain `body` and an HTML `formatted_body`; all text is escaped.
- A Matrix event is at most 65,536 bytes: long texts are split into several messages (the list of
  options goes with the last one).
"""

from __future__ import annotations

import html
from typing import Any

from bot.messages import Reply

__all__ = [
    "MAX_BODY_CHARS",
    "mentions_user",
    "normalise_command",
    "render_reply",
]

#: far below the 64 KiB event limit even with HTML escaping and encryption overhead (base64)
MAX_BODY_CHARS = 12_000


def mentions_user(reply: Reply) -> bool:
    return reply.kind in ("text", "alert") or reply.mention_user


def normalise_command(text: str) -> str:
    """`!sos` means `/sos` on Matrix (many clients reserve `/` for their own commands)."""
    if len(text) > 1 and text[0] == "!" and text[1].isalpha():
        return "/" + text[1:]
    return text


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _split(text: str) -> list[str]:
    if len(text) <= MAX_BODY_CHARS:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > MAX_BODY_CHARS:
        cut = rest.rfind("\n", 0, MAX_BODY_CHARS)
        if cut <= 0:
            cut = MAX_BODY_CHARS
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return parts


def render_reply(reply: Reply, user_id: str = "") -> list[dict[str, Any]]:
    """The contents to send for `reply`, in order. `user_id` is who to mention, if anyone."""
    mention = user_id if mentions_user(reply) and user_id else ""
    msgtype = "m.notice" if reply.kind == "notice" and not mention else "m.text"
    chunks = _split(reply.text)
    contents: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        body, formatted = chunk, _html(chunk)
        if last and reply.buttons:
            lines = [f"{number}. {button.label}" for number, button in enumerate(reply.buttons, 1)]
            body = f"{body}\n\n" + "\n".join(lines) if body else "\n".join(lines)
            items = "".join(f"<li>{html.escape(button.label)}</li>" for button in reply.buttons)
            formatted = f"{formatted}<ol>{items}</ol>"
        mentioned = bool(mention) and index == 0
        if mentioned:
            escaped = html.escape(mention)
            body = f"{mention}: {body}"
            formatted = f'<a href="https://matrix.to/#/{escaped}">{escaped}</a>: {formatted}'
        contents.append(
            {
                "msgtype": msgtype,
                "body": body,
                "format": "org.matrix.custom.html",
                "formatted_body": formatted,
                # intentional mentions (Matrix 1.7): only the practitioner is notified
                "m.mentions": {"user_ids": [mention]} if mentioned else {},
            }
        )
    return contents
