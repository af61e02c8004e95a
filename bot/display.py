"""Text typed by people, made safe to show: invisible and terminal-control characters neutralised.

A note, a name or a dialog answer can carry characters that change how the text around them is
shown: bidirectional overrides (U+202E turns "txt.exe" into "exe.txt"), zero-width characters
(two names that look the same but differ), terminal escape sequences (ESC [ … that recolour,
move the cursor or retitle the terminal of whoever runs `relais`). What is stored is kept as
typed; what is shown goes through `neutralise`, on every channel (`neutralise_reply`, applied to
every reply of the chat layer and every message of the check-in outbox) and on the command
line (`SafeTextWriter` around stdout and stderr, `json_safe` for JSON output).

- control characters (C0 but newline and tab, DEL, C1) become visible: ␛ for ESC, ␡ for
  DEL, the replacement character � for C1;
- format characters (Unicode category Cf: bidirectional embeddings, overrides and isolates,
  zero-width spaces and joiners, the byte-order mark, tag characters) are removed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from typing import IO, Any

from bot.messages import Button, Reply

__all__ = ["SafeTextWriter", "json_safe", "neutralise", "neutralise_reply"]

_KEEP = frozenset("\n\t")


def _unsafe(char: str) -> bool:
    return char not in _KEEP and unicodedata.category(char) in ("Cc", "Cf")


def _shown(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the "control pictures" block: ␛, ␍, ␀ …
    if code == 0x7F:
        return "\u2421"  # ␡
    if unicodedata.category(char) == "Cc":
        return "\ufffd"  # C1 controls (CSI 0x9B among them)
    return ""  # format characters: bidi controls, zero-width, BOM, tags


_FAST_SAFE = re.compile(r"[\x20-\x7e\n\t\u00a0-\u00ac\u00ae-\u05ff]*")


def neutralise(text: str) -> str:
    """`text` with control characters made visible and invisible format characters removed."""
    if _FAST_SAFE.fullmatch(text):  # most text: nothing to look at
        return text
    return "".join(_shown(c) if _unsafe(c) else c for c in text)


def neutralise_reply(reply: Reply) -> Reply:
    """The reply as shown: its text and button labels neutralised (tokens untouched)."""
    text = neutralise(reply.text)
    labels = [neutralise(b.label) for b in reply.buttons]
    if text == reply.text and all(
        a == b.label for a, b in zip(labels, reply.buttons, strict=True)
    ):
        return reply
    buttons = tuple(Button(label, b.token) for label, b in zip(labels, reply.buttons, strict=True))
    return dataclasses.replace(reply, text=text, buttons=buttons)


def json_safe(text: str) -> str:
    """JSON text with control and format characters written as \\uXXXX escapes: valid JSON
    with every character of the data kept, and nothing a terminal acts on."""
    if _FAST_SAFE.fullmatch(text):
        return text
    return "".join(json.dumps(c)[1:-1] if _unsafe(c) else c for c in text)


class SafeTextWriter:
    """A text stream that neutralises what is written to it (the command line's stdout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(neutralise(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, buffer (binary output), isatty, ...
        return getattr(self._stream, name)
