"""Read untrusted YAML into a node tree with positions, guarded against hostile input.

Size limit, UTF-8 only, no binary, no anchors/aliases (alias bombs), bounded nesting and node
count. Every failure is a diagnostic, never an exception.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml

from dialogs.diagnostics import CODES, Diagnostic, Loc

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "ParsedYaml",
    "diag",
    "gc_paused",
    "loc_of",
    "parse_yaml",
]

MAX_BYTES = 1_048_576
MAX_DEPTH = 40
MAX_NODES = 200_000

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER_KEYS = frozenset(k for k in yaml.SafeLoader.yaml_implicit_resolvers if k)


_SCALAR_TAGS: dict[str, str] = {}
_resolve: Callable[[type, str, tuple[bool, bool]], object] = yaml.resolver.Resolver().resolve
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _FastLoader(_Base):  # type: ignore[misc]
    """libyaml's composer, resolving plain scalars through the cache below."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _plain_tag(value) if implicit[0] else _STR_TAG
        return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG


_DEEP_INDENT = re.compile(rf"^[ \t-]{{{MAX_DEPTH},}}", re.MULTILINE)


def _plain_tag(value: str) -> str:
    """The tag YAML 1.1 gives a plain (unquoted) scalar: bool, int, float, null or str."""
    tag = _SCALAR_TAGS.get(value)
    if tag is None:
        if value and value[0] not in _RESOLVER_KEYS:
            tag = _STR_TAG
        else:
            tag = str(_resolve(yaml.ScalarNode, value, (True, False)))
        if len(_SCALAR_TAGS) > 50_000:
            _SCALAR_TAGS.clear()
        _SCALAR_TAGS[value] = tag
    return tag


@dataclass(slots=True)
class ParsedYaml:
    root: yaml.Node | None
    text: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)


def diag(loc: Loc, code: str, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(loc, code, CODES[code].severity, message, hint)


def loc_of(source: str, node: yaml.Node) -> Loc:
    mark = node.start_mark
    return Loc(source, mark.line + 1, mark.column + 1)


def _decode(data: bytes, source: str, result: ParsedYaml) -> str | None:
    if b"\x00" in data:
        result.diagnostics.append(
            diag(Loc(source), "RD003", "the file is binary, not text", "send a .yaml text file")
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        result.diagnostics.append(
            diag(
                Loc(source, line, col),
                "RD003",
                f"invalid UTF-8 byte 0x{data[exc.start]:02x}",
                "save the file with UTF-8 encoding",
            )
        )
        return None
    return text


_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_depth(text: str) -> int:
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        ch = match.group()
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def parse_yaml(data: str | bytes, source: str, *, max_bytes: int = MAX_BYTES) -> ParsedYaml:
    """Compose one YAML document; the result holds the root node or the diagnostics."""
    result = ParsedYaml(None)
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        result.diagnostics.append(
            diag(
                Loc(source),
                "RD002",
                f"the file is {size:,} bytes; the limit is {max_bytes:,}",
                "split it into smaller dialogs",
            )
        )
        return result
    if isinstance(data, bytes):
        text = _decode(data, source, result)
        if text is None:
            return result
    else:
        text = data
        if "\x00" in text:
            result.diagnostics.append(diag(Loc(source), "RD003", "the text contains NUL bytes"))
            return result
    if text.startswith("\ufeff"):
        text = text[1:]
    result.text = text
    if ("[" in text or "{" in text) and _flow_depth(text) > MAX_DEPTH:
        result.diagnostics.append(
            diag(Loc(source), "RD005", f"brackets nested more than {MAX_DEPTH} levels deep")
        )
        return result
    try:
        with gc_paused():
            # libyaml's own composer is fastest, but shares nodes for aliases and does not
            # bound depth: use it only when neither is possible, else our guarded composer
            if "*" in text or "&" in text or _DEEP_INDENT.search(text) is not None:
                root = _compose(text, source, result)
            else:
                root = yaml.compose(text, Loader=_FastLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Loc(source, mark.line + 1, mark.column + 1) if mark else Loc(source)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        hint = "check indentation and quoting"
        if mark is not None and _tab_in_indent(text, mark.line):
            problem, context = "a tab in the indentation: YAML indents with spaces only", ""
            hint = "replace the tab(s) at the start of this line with spaces"
        result.diagnostics.append(diag(loc, "RD001", f"{problem}{context}".strip(), hint))
        return result
    except yaml.YAMLError as exc:
        result.diagnostics.append(diag(Loc(source), "RD001", str(exc).splitlines()[0]))
        return result
    if root is None:
        if not result.diagnostics:
            result.diagnostics.append(diag(Loc(source, 1, 1), "RD006", "the file is empty"))
        return result
    result.root = root
    return result


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a big acyclic tree: collections
    triggered by the many new objects would re-scan the growing tree (halves loading time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _mark_loc(source: str, mark: Any) -> Loc:
    return Loc(source, mark.line + 1, mark.column + 1) if mark is not None else Loc(source)


def _compose(text: str, source: str, result: ParsedYaml) -> yaml.Node | None:
    """Build the node tree from libyaml's events (faster than yaml.compose), refusing aliases,
    more than one document, nesting deeper than MAX_DEPTH and more than MAX_NODES values."""
    root: yaml.Node | None = None
    stack: list[list[Any]] = []  # [collection node, pending mapping key or None]
    count = 0
    documents = 0
    scalar_event = yaml.ScalarEvent
    events: Iterator[Any] = yaml.parse(text, Loader=_Base)
    for event in events:
        start: Any = event.start_mark
        if isinstance(event, scalar_event):
            tag = event.tag
            if tag is None or tag == "!":
                tag = _plain_tag(event.value) if event.implicit[0] else _STR_TAG
            end: Any = event.end_mark
            node: Any = yaml.ScalarNode(tag, event.value, start, end, event.style)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) >= MAX_DEPTH:
                mark = event.start_mark
                result.diagnostics.append(
                    diag(
                        _mark_loc(source, mark),
                        "RD005",
                        f"nested more than {MAX_DEPTH} levels deep",
                    )
                )
                return None
            count += 1
            if isinstance(event, yaml.MappingStartEvent):
                tag = event.tag if event.tag not in (None, "!") else _MAP_TAG
                node = yaml.MappingNode(tag, [], start, None, event.flow_style)
            else:
                tag = event.tag if event.tag not in (None, "!") else _SEQ_TAG
                node = yaml.SequenceNode(tag, [], start, None, event.flow_style)
            stack.append([node, None])
            continue
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            node = stack.pop()[0]
            node.end_mark = event.end_mark
        elif isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            result.diagnostics.append(
                diag(
                    _mark_loc(source, mark),
                    "RD004",
                    "anchors and aliases (&name, *name) are not allowed",
                )
            )
            return None
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                mark = event.start_mark
                result.diagnostics.append(
                    diag(
                        _mark_loc(source, mark),
                        "RD006",
                        "a dialog file holds one YAML document; remove the second `---`",
                    )
                )
                return None
            continue
        else:
            continue
        count += 1
        if count > MAX_NODES:
            result.diagnostics.append(
                diag(Loc(source), "RD005", f"more than {MAX_NODES:,} YAML values")
            )
            return None
        if not stack:
            root = node
            continue
        frame = stack[-1]
        parent = frame[0]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif frame[1] is None:
            frame[1] = node
        else:
            parent.value.append((frame[1], node))
            frame[1] = None
    return root


def _tab_in_indent(text: str, line: int) -> bool:
    """Whether line `line` (0-based) of `text` starts with whitespace that holds a tab."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return False
    row = lines[line]
    return "\t" in row[: len(row) - len(row.lstrip(" \t"))]
