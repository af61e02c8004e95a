"""Read untrusted YAML into a node tree with positions, guarded against hostile input.

Size limit, UTF-8 only, no binary, no anchors/aliases (alias bombs), bounded nesting and node
count. Every failure is a diagnostic, never an exception.
"""

from __future__ import annotations

import re
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
    "loc_of",
    "parse_yaml",
]

MAX_BYTES = 1_048_576
MAX_DEPTH = 40
MAX_NODES = 200_000

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER_KEYS = frozenset(k for k in yaml.SafeLoader.yaml_implicit_resolvers if k)


_SCALAR_TAGS: dict[str, str] = {}


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader, remembering how plain scalars resolve (most repeat: keys, kinds)."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _SCALAR_TAGS.get(value)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))
                if len(_SCALAR_TAGS) > 50_000:
                    _SCALAR_TAGS.clear()
                _SCALAR_TAGS[value] = tag
            return tag
        return str(super().resolve(kind, value, implicit))


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


_DEEP_INDENT = re.compile(rf"^[ \t-]{{{MAX_DEPTH},}}", re.MULTILINE)
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
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Loc(source, mark.line + 1, mark.column + 1) if mark else Loc(source)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        result.diagnostics.append(
            diag(loc, "RD001", f"{problem}{context}".strip(), "check indentation and quoting")
        )
        return result
    except yaml.YAMLError as exc:
        result.diagnostics.append(diag(Loc(source), "RD001", str(exc).splitlines()[0]))
        return result
    except RecursionError:
        result.diagnostics.append(diag(Loc(source), "RD005", "the structure is nested too deeply"))
        return result
    if root is None:
        result.diagnostics.append(diag(Loc(source, 1, 1), "RD006", "the file is empty"))
        return result
    # the full walk is needed only if aliases or deep indentation are possible at all
    simple = "*" not in text and "&" not in text and _DEEP_INDENT.search(text) is None
    if simple or _guard(root, source, result):
        result.root = root
    return result


def _guard(root: yaml.Node, source: str, result: ParsedYaml) -> bool:
    """Reject shared nodes (aliases), deep nesting and huge node counts."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    count = 0
    ok = True
    while stack:
        node, depth = stack.pop()
        key = id(node)
        if key in seen:
            if ok:
                result.diagnostics.append(
                    diag(
                        loc_of(source, node),
                        "RD004",
                        "anchors and aliases (&name, *name) are not allowed",
                    )
                )
            ok = False
            continue
        seen.add(key)
        count += 1
        if count > MAX_NODES:
            result.diagnostics.append(
                diag(Loc(source), "RD005", f"more than {MAX_NODES:,} YAML values")
            )
            return False
        if depth > MAX_DEPTH:
            result.diagnostics.append(
                diag(loc_of(source, node), "RD005", f"nested more than {MAX_DEPTH} levels deep")
            )
            return False
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                stack.append((item, depth + 1))
    return ok
