"""Text for Telegram: length in Telegram's units, splitting long texts, escaping for HTML.

Telegram limits a message to 4,096 characters after entity parsing (captions: 1,024), counted
in UTF-16 code units (an emoji outside the BMP counts twice). The chat layer gives plain text;
the adapter sends it with `parse_mode=HTML`, so every `<`, `>` and `&` is escaped.
"""

from __future__ import annotations

import html

__all__ = ["CAPTION_LIMIT", "TEXT_LIMIT", "split_text", "to_html", "utf16_len"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """Plain text as Telegram HTML: the text shows exactly as given, never as markup."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split `text` into pieces of at most `limit` UTF-16 units: at paragraph boundaries first,
    then at line breaks, then at a space, and as a last resort anywhere (never inside a
    character). The separator where a split happens is dropped; no piece is empty."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if utf16_len(text) <= limit:
        return [text] if text.strip() else []
    pieces: list[str] = []
    for part in _pack(text.split("\n\n"), "\n\n", limit):
        if utf16_len(part) <= limit:
            pieces.append(part)
            continue
        for line in _pack(part.split("\n"), "\n", limit):
            if utf16_len(line) <= limit:
                pieces.append(line)
            else:
                pieces.extend(_hard_cut(line, limit))
    return [p for p in pieces if p.strip()]


def _pack(parts: list[str], sep: str, limit: int) -> list[str]:
    """Greedily join consecutive parts with `sep` while the result fits in `limit`.
    A part longer than `limit` on its own is returned alone (the caller splits it further)."""
    packed: list[str] = []
    current: str | None = None
    for part in parts:
        if current is None:
            current = part
        elif utf16_len(current) + utf16_len(sep) + utf16_len(part) <= limit:
            current = current + sep + part
        else:
            packed.append(current)
            current = part
    if current is not None:
        packed.append(current)
    return packed


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while utf16_len(text) > limit:
        cut = _fit(text, limit)
        space = text.rfind(" ", 0, cut)
        if space > cut * 3 // 4:  # a word boundary near the end: cut there
            pieces.append(text[:space])
            text = text[space + 1 :]
        else:
            pieces.append(text[:cut])
            text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def _fit(text: str, limit: int) -> int:
    """The largest index i such that text[:i] is at most `limit` UTF-16 units."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)
