"""Where ruamel.yaml keeps the blank lines and comments that follow a value, and moving them
when an item is added after it or removed (`dialogs.structured_edits`).

ruamel keeps what follows a value in the text (an end-of-line comment, then blank lines and
comment lines up to the next item) on the innermost last value before it. When an option is
appended after the last one, or the last one is removed, that tail must move so that the
comment about the next screen stays just before the next screen.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

__all__ = ["is_flow", "last_value_holder", "move_tail", "move_tail_to_start"]


def is_flow(item: CommentedMap | CommentedSeq) -> bool:
    """Written on one line, as `{...}` or `[...]`."""
    return bool(item.fa.flow_style())


def last_value_holder(item: Any) -> tuple[Any, Any] | None:
    """The innermost (container, key) whose comment holds what follows `item` in the text."""
    if isinstance(item, CommentedMap | CommentedSeq) and is_flow(item):
        return None  # written on one line: what follows belongs to its parent's key
    if isinstance(item, CommentedMap) and item:
        key = list(item)[-1]
        return last_value_holder(item[key]) or (item, key)
    if isinstance(item, CommentedSeq) and item:
        return last_value_holder(item[-1]) or (item, len(item) - 1)
    return None


def _trailing(holder: tuple[Any, Any]) -> tuple[str, str]:
    """What follows a value in the text, split into the end of its own line (an end-of-line
    comment, or just the line break) and the lines after (blank lines, comments)."""
    container, key = holder
    entry = container.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return "\n", ""
    value = str(token.value)
    cut = value.find("\n") + 1 or len(value)
    return value[:cut], value[cut:]


def _set_trailing(holder: tuple[Any, Any], value: str) -> None:
    container, key = holder
    if value == "\n":
        container.ca.items.pop(key, None)
        return
    entry = container.ca.items.get(key)
    if entry and len(entry) > 2 and entry[2] is not None:
        entry[2].value = value  # keeps its column: an end-of-line comment stays where it was
        return
    container.ca.items[key] = [None, None, CommentToken(value, CommentMark(0), None), None]


def move_tail(source: Any, target: Any, *, blank_between: bool = False) -> None:
    """The blank lines and comments after `source` (ruamel keeps them on its last value) go
    after `target`, which now stands after it or in its place."""
    found = last_value_holder(source)
    dest = last_value_holder(target)
    if found is None or dest is None:
        return
    own, tail = _trailing(found)
    _set_trailing(found, own + ("\n" if blank_between else ""))
    dest_own, dest_tail = _trailing(dest)
    _set_trailing(dest, dest_own + dest_tail + tail)


def move_tail_to_start(source: Any, owner: CommentedMap, key: str) -> None:
    """The comments after `source`, the first item of owner[key], go before its second."""
    found = last_value_holder(source)
    if found is None:
        return
    own, tail = _trailing(found)
    _set_trailing(found, own)
    sequence = owner[key]
    tokens = [
        CommentToken(line.strip() + "\n", CommentMark(len(line) - len(line.lstrip())))
        for line in tail.splitlines()
        if line.strip().startswith("#")
    ]
    if not tokens:
        return
    before = sequence.ca.comment[1] if sequence.ca.comment else None
    tokens = [*(before or []), *tokens]
    sequence.ca.comment = [None, tokens]
    entry = owner.ca.items.setdefault(key, [None, None, None, None])
    entry[3] = tokens
