"""Parse modes as Telegram applies them: the plain text and its entities, or 400 "can't parse
entities" (HTML, MarkdownV2, Markdown), offsets in UTF-16 code units.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram.model import FakeBotApiError, bad, utf16_len

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_HTML_SPECIAL = re.compile(r"[<&]")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_SPECIAL = re.compile("[" + re.escape("\\" + "".join(sorted(_MDV2_RESERVED))) + "]")
_MD_MARKER = re.compile("[*_`]")


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Roughly what Telegram does with a parse mode: the plain text and its entities, or a 400
    'can't parse entities' error for malformed markup."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise bad(f"unsupported parse_mode {parse_mode!r}")


def _cant_parse(detail: str) -> FakeBotApiError:
    return bad(f"can't parse entities: {detail}")


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    # Runs of plain text between tags and character references are copied (and measured in
    # UTF-16 units) whole; byte offsets are only computed for an error message.
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, str]] = []
    length = 0  # UTF-16 units of `out`
    i = 0
    size = len(text)
    while i < size:
        special = _HTML_SPECIAL.search(text, i)
        stop = special.start() if special else size
        if stop > i:
            run = text[i:stop]
            out.append(run)
            length += len(run) if run.isascii() else utf16_len(run)
            i = stop
            if i == size:
                break
        if text[i] == "<":
            end = text.find(">", i)
            if end == -1:
                raise _cant_parse(
                    f"Can't find end of the tag at byte offset {_byte_offset(text, i)}"
                )
            tag = text[i + 1 : end].strip()
            if tag.startswith("/"):
                name = tag[1:].strip().lower()
                if not stack or stack[-1][0] != name:
                    expected = stack[-1][0] if stack else ""
                    raise _cant_parse(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "
                        f'"</{expected}>", found "</{name}>"'
                    )
                open_name, start, attrs = stack.pop()
                if length > start:
                    entity: dict[str, Any] = {
                        "type": _HTML_TAGS[open_name],
                        "offset": start,
                        "length": length - start,
                    }
                    if open_name == "a":
                        entity["url"] = attrs
                    entities.append(entity)
            else:
                words = tag.split()
                name = words[0].lower() if words else ""
                if name not in _HTML_TAGS:
                    raise _cant_parse(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                    )
                href = ""
                if name == "a":
                    match = re.search(r'href\s*=\s*"([^"]*)"', tag)
                    href = match.group(1) if match else ""
                stack.append((name, length, href))
            i = end + 1
            continue
        match = _HTML_ENTITY.match(text, i)  # text[i] == "&"
        if match:
            ref = match.group(1)
            if ref.startswith("#x"):
                decoded = chr(int(ref[2:], 16))
            elif ref.startswith("#"):
                decoded = chr(int(ref[1:]))
            else:
                decoded = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[ref]
            out.append(decoded)
            length += utf16_len(decoded)
            i = match.end()
        else:
            out.append("&")
            length += 1
            i += 1
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _byte_offset(text: str, index: int) -> int:
    """Where `text[index]` starts in UTF-8 (Telegram's error messages count bytes)."""
    return len(text[:index].encode())


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    open_markers: list[str] = []
    i = 0
    size = len(text)
    while i < size:
        special = _MDV2_SPECIAL.search(text, i)
        if special is None:
            out.append(text[i:])
            break
        stop = special.start()
        if stop > i:
            out.append(text[i:stop])
            i = stop
        ch = text[i]
        if ch == "\\":
            if i + 1 < size:
                out.append(text[i + 1])
                i += 2
            else:  # a backslash at the very end is kept
                out.append(ch)
                i += 1
            continue
        if text.startswith("||", i) or ch in "*_~`":
            marker = "||" if text.startswith("||", i) else ch
            if open_markers and open_markers[-1] == marker:
                open_markers.pop()
            else:
                open_markers.append(marker)
            i += len(marker)
            continue
        raise _cant_parse(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )
    if open_markers:
        raise _cant_parse("Can't find end of the entity")
    return "".join(out), []


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    open_marker = ""
    start = 0
    i = 0
    for match in _MD_MARKER.finditer(text):
        index, ch = match.start(), match.group()
        out.append(text[i:index])
        i = index + 1
        if open_marker == ch:
            open_marker = ""
        elif not open_marker:
            open_marker, start = ch, index
        else:
            out.append(ch)
    out.append(text[i:])
    if open_marker:
        raise _cant_parse(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, start)}"
        )
    return "".join(out), []
