"""YAML text -> Dialog model, with a located diagnostic for every structural problem.

Never raises on bad content. Semantic checks (graph, templates, translations...) live in
`dialogs.checker`; `load_dialog_text` runs only what is needed to build the model.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dialogs.diagnostics import Diagnostic, Loc, has_errors
from dialogs.durations import parse_duration
from dialogs.expr import Expr
from dialogs.model import (
    CONTEXT_VARIABLES,
    NODE_KINDS,
    Branch,
    CheckinNode,
    ContactNode,
    Dialog,
    EndNode,
    GotoNode,
    InputNode,
    MessageNode,
    Node,
    NoteNode,
    Option,
    QuestionNode,
    Text,
    Validation,
)
from dialogs.patterns import PatternProblem, compile_pattern
from dialogs.reader import ID_RE, LANG_RE, OPTION_ID_RE, VAR_RE, YamlReader, describe, is_null
from dialogs.yamlsafe import MAX_BYTES, diag, gc_paused, parse_yaml

__all__ = [
    "AUDIENCE_ROLES",
    "NOTE_TAGS",
    "LoadResult",
    "load_dialog_file",
    "load_dialog_text",
]

AUDIENCE_ROLES = ("mentor", "social_worker", "psychologist", "coordinator", "admin")
NOTE_TAGS = ("progress", "relapse", "trigger", "concern", "contact", "decision")
STATUSES = ("draft", "published")
VALIDATE_TYPES = ("text", "number", "date")
#: the longest answer an input may ask for or accept (`min_length`, `max_length`)
MAX_INPUT_LENGTH = 65_536

_TOP_KEYS = {
    "id": True, "title": True, "summary": False, "audience": False, "tags": False,
    "languages": False, "source": False, "status": False, "reviewed_by": False,
    "teams": False, "start": True, "nodes": True,
}  # fmt: skip
_COMMON = {"kind": True, "text": False, "next": False, "source": False}
_NODE_KEYS: dict[str, dict[str, bool]] = {
    "message": {**_COMMON, "text": True},
    "question": {"kind": True, "text": True, "options": True, "source": False},
    "input": {**_COMMON, "text": True, "var": True, "validate": False, "error": False},
    "contact": {**_COMMON, "roles": True, "page": False},
    "note": {**_COMMON, "text": True, "body": True, "tags": False, "yes": False, "no": False},
    "checkin": {
        **_COMMON, "text": True, "after": True, "label": False, "yes": False, "no": False,
    },
    "goto": {"kind": True, "dialog": True, "next": False, "source": False},
    "end": {"kind": True, "text": False, "source": False},
}  # fmt: skip
_OPTION_KEYS = {"id": True, "label": True, "next": True, "when": False, "risk": False}
_BRANCH_KEYS = {"to": True, "when": False}
_VALIDATE_KEYS = ("type", "min_length", "max_length", "pattern", "min", "max")


@dataclass(slots=True)
class LoadResult:
    """A dialog (None if it could not be built at all) and the diagnostics of loading it."""

    dialog: Dialog | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.dialog is not None and not has_errors(self.diagnostics)


def _read_next(r: YamlReader, node: yaml.Node) -> tuple[Branch, ...]:
    if isinstance(node, yaml.ScalarNode):
        target = r.ident(node, "next")
        return () if target is None else (Branch(target, r.loc(node)),)
    if not isinstance(node, yaml.SequenceNode):
        r.add(node, "RD012", "next must be a node id or a list of branches (when:, to:)")
        return ()
    branches: list[Branch] = []
    for item in node.value:
        keys = r.mapping(item, _BRANCH_KEYS, "a branch")
        if keys is None or "to" not in keys:
            continue
        target = r.ident(keys["to"][1], "to")
        when: Expr | None = None
        source = ""
        when_loc = None
        if "when" in keys:
            when, source = r.expression(keys["when"][1], "when")
            when_loc = r.loc(keys["when"][1])
        if target is not None:
            branches.append(Branch(target, r.loc(keys["to"][1]), when, source, when_loc))
    return tuple(branches)


def _read_options(r: YamlReader, node: yaml.Node) -> tuple[Option, ...]:
    if not isinstance(node, yaml.SequenceNode):
        r.add(node, "RD012", f"options must be a list, found {describe(node)}")
        return ()
    options: list[Option] = []
    seen: set[str] = set()
    for item in node.value:
        keys = r.mapping(item, _OPTION_KEYS, "an option")
        if keys is None or "id" not in keys:
            continue
        oid = r.ident(keys["id"][1], "option id", OPTION_ID_RE)
        if oid is None:
            continue
        if oid in seen:
            r.add(keys["id"][1], "RD021", f"option id {oid!r} appears twice in this question")
            continue
        seen.add(oid)
        label = r.text(keys["label"][1], "label") if "label" in keys else None
        target = r.ident(keys["next"][1], "next") if "next" in keys else None
        when: Expr | None = None
        source = ""
        if "when" in keys:
            when, source = r.expression(keys["when"][1], "when")
        risk = bool(r.boolean(keys["risk"][1], "risk")) if "risk" in keys else False
        locs = {k: r.loc(v) for k, (_, v) in keys.items()}
        options.append(
            Option(oid, label, target or "", r.loc(item), when, source, locs, risk=risk)
        )
    if not options and not node.value:
        r.add(node, "RD011", "a question needs at least one option")
    return tuple(options)


def _read_source(r: YamlReader, node: yaml.Node) -> str:
    """A node's `source`: a non-empty citation text."""
    value = r.string(node, "source")
    if value is None:
        return ""
    if not value.strip():
        r.add(node, "RD016", "source is empty", "cite the paper's section, or remove the key")
    return value.strip()


def _read_validation(r: YamlReader, node: yaml.Node) -> Validation:
    if not isinstance(node, yaml.MappingNode):
        r.add(node, "RD045", "validate must be a mapping such as {max_length: 200}")
        return Validation()
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = r.key(key_node)
        if key is None:
            continue
        if key not in _VALIDATE_KEYS:
            close = difflib.get_close_matches(key, _VALIDATE_KEYS, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(_VALIDATE_KEYS)
            )
            r.add(key_node, "RD045", f"unknown validation rule {key!r}", hint)
        elif key == "type":
            kind = r.string(value_node, "type")
            if kind not in VALIDATE_TYPES:
                r.add(value_node, "RD045", f"type {kind!r} is not one of text, number, date")
            else:
                values["type"] = kind
        elif key == "pattern":
            pattern = r.string(value_node, "pattern")
            if pattern is None:
                continue
            compiled = compile_pattern(pattern)  # RE2: linear time, or RD045 / RD125
            if isinstance(compiled, PatternProblem):
                r.add(value_node, compiled.code, compiled.message, compiled.hint)
                continue
            values["pattern"] = pattern
        else:
            number = r.number(value_node, key, integer=key.endswith("length"))
            if number is not None:
                if key.endswith("length") and number < 0:
                    r.add(value_node, "RD045", f"{key} cannot be negative")
                    continue
                if key.endswith("length") and number > MAX_INPUT_LENGTH:
                    # the walk types answers of min_length characters: 2e9 was 2 GB of memory
                    r.add(value_node, "RD045", f"{key} is at most {MAX_INPUT_LENGTH:,}")
                    continue
                values[key] = number
    for low, high in (("min_length", "max_length"), ("min", "max")):
        if low in values and high in values and values[low] > values[high]:
            r.add(node, "RD045", f"{low} ({values[low]}) is greater than {high} ({values[high]})")
    if values.get("type", "text") != "number" and ("min" in values or "max" in values):
        r.add(node, "RD045", "min and max apply to type: number only")
    return Validation(**values)


def _read_node(r: YamlReader, node_id: str, node: yaml.Node) -> Node | None:
    if not isinstance(node, yaml.MappingNode):
        r.add(node, "RD012", f"node {node_id!r} must be a mapping with a kind")
        return None
    kind: str | None = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "kind":
            kind = r.string(value_node, "kind")
            if kind is not None and kind not in NODE_KINDS:
                close = difflib.get_close_matches(kind, NODE_KINDS, n=1)
                hint = (
                    f"did you mean {close[0]!r}?" if close else "kinds: " + ", ".join(NODE_KINDS)
                )
                r.add(value_node, "RD016", f"unknown node kind {kind!r}", hint)
                return None
            break
    if kind is None:
        r.add(node, "RD011", f"node {node_id!r} has no 'kind'", "kinds: " + ", ".join(NODE_KINDS))
        return None
    keys = r.mapping(node, _NODE_KEYS[kind], f"{kind} node {node_id!r}")
    if keys is None:
        return None
    v = {k: val for k, (_, val) in keys.items()}
    common: dict[str, Any] = {
        "id": node_id,
        "loc": r.loc(node),
        "locs": {k: r.loc(val) for k, val in v.items()},
        "text": r.text(v["text"], "text") if "text" in v else None,
        "next": _read_next(r, v["next"]) if "next" in v else (),
        "source": _read_source(r, v["source"]) if "source" in v else "",
    }
    opt_text: Callable[[str], Text | None] = lambda k: r.text(v[k], k) if k in v else None  # noqa: E731
    if kind == "message":
        return MessageNode(**common)
    if kind == "question":
        return QuestionNode(
            **common, options=_read_options(r, v["options"]) if "options" in v else ()
        )
    if kind == "input":
        var = r.ident(v["var"], "var", VAR_RE) if "var" in v else None
        if var in CONTEXT_VARIABLES:
            r.add(v["var"], "RD016", f"var {var!r} is reserved", "choose another name")
        validation = _read_validation(r, v["validate"]) if "validate" in v else Validation()
        return InputNode(**common, var=var or "", validate=validation, error=opt_text("error"))
    if kind == "contact":
        roles = r.strings(v["roles"], "roles", ID_RE) if "roles" in v else ()
        if "roles" in v and not roles:
            r.add(v["roles"], "RD011", "a contact node needs at least one role")
        page = r.boolean(v["page"], "page") if "page" in v else False
        return ContactNode(**common, roles=roles, page=bool(page))
    if kind == "note":
        tags = r.strings(v["tags"], "tags", ID_RE) if "tags" in v else ()
        for tag in tags:
            if tag not in NOTE_TAGS:
                r.add(
                    v["tags"],
                    "RD016",
                    f"note tag {tag!r} is unknown",
                    "tags: " + ", ".join(NOTE_TAGS),
                )
        return NoteNode(
            **common, body=opt_text("body"), tags=tags, yes=opt_text("yes"), no=opt_text("no")
        )
    if kind == "checkin":
        after = None
        if "after" in v:
            raw = r.string(v["after"], "after")
            after = parse_duration(raw) if raw is not None else None
            if raw is not None and after is None:
                r.add(
                    v["after"], "RD044", f"{raw!r} is not a duration", "30m, 2h, 1d, 7d (max 365d)"
                )
        extra: dict[str, Any] = {"after": after} if after is not None else {}
        return CheckinNode(
            **common, **extra, label=opt_text("label"), yes=opt_text("yes"), no=opt_text("no")
        )
    if kind == "goto":
        target = r.ident(v["dialog"], "dialog") if "dialog" in v else None
        return GotoNode(**common, dialog=target or "")
    return EndNode(**common)


def _read_dialog(r: YamlReader, root: yaml.Node, stem: str, text: str) -> Dialog | None:
    keys = r.mapping(root, _TOP_KEYS, "the dialog")
    if keys is None:
        return None
    v = {k: val for k, (_, val) in keys.items()}
    dialog_id = r.ident(v["id"], "dialog id") if "id" in v else None
    if dialog_id and stem and dialog_id != stem:
        r.add(v["id"], "RD014", f"dialog id {dialog_id!r} but the file is {stem!r}.yaml")
    title = r.text(v["title"], "title") if "title" in v else None
    start = r.ident(v["start"], "start") if "start" in v else None
    languages = r.strings(v["languages"], "languages", LANG_RE) if "languages" in v else ("en",)
    if "languages" in v and not languages:
        r.add(v["languages"], "RD011", "languages needs at least one language")
    audience = r.strings(v["audience"], "audience", ID_RE) if "audience" in v else ()
    for role in audience:
        if role not in AUDIENCE_ROLES:
            r.add(
                v["audience"],
                "RD016",
                f"audience role {role!r} is unknown",
                "roles: " + ", ".join(AUDIENCE_ROLES),
            )
    status = r.string(v["status"], "status") if "status" in v else "draft"
    if status is not None and status not in STATUSES:
        r.add(v["status"], "RD016", f"status {status!r} is unknown", "draft or published")
    nodes: dict[str, Node] = {}
    if "nodes" in v:
        nodes_node = v["nodes"]
        if not isinstance(nodes_node, yaml.MappingNode) or not nodes_node.value:
            r.add(nodes_node, "RD012", "nodes must be a mapping of node id -> node")
        else:
            seen: set[str] = set()
            for key_node, value_node in nodes_node.value:
                node_id = r.ident(key_node, "node id")
                if node_id is None:
                    continue
                if node_id in seen:
                    r.add(key_node, "RD020", f"node id {node_id!r} is used twice")
                    continue
                seen.add(node_id)
                built = _read_node(r, node_id, value_node)
                if built is not None:
                    nodes[node_id] = built
    if dialog_id is None or title is None or start is None or "nodes" not in v:
        return None
    return Dialog(
        id=dialog_id,
        title=title,
        start=start,
        nodes=nodes,
        loc=r.loc(root),
        languages=languages or ("en",),
        summary=r.text(v["summary"], "summary") if "summary" in v else None,
        audience=audience,
        teams=r.strings(v["teams"], "teams") if "teams" in v else (),
        tags=r.strings(v["tags"], "tags", ID_RE) if "tags" in v else (),
        source=(r.string(v["source"], "source") or "") if "source" in v else "",
        status=status or "draft",
        reviewed_by=(r.string(v["reviewed_by"], "reviewed_by") or "")
        if "reviewed_by" in v and not is_null(v["reviewed_by"])
        else "",
        locs={k: r.loc(val) for k, val in v.items()},
        source_text=text,
    )


def load_dialog_text(
    data: str | bytes, source_name: str = "<dialog>", *, max_bytes: int = MAX_BYTES
) -> LoadResult:
    """Build a dialog from YAML text or bytes; problems come back as diagnostics, never raised."""
    name = Path(source_name).name
    stem = name[: -len(".yaml")] if name.endswith(".yaml") else ""
    if not ID_RE.match(stem):
        stem = ""
    # the YAML tree is acyclic and dropped before the collector runs again (see gc_paused)
    with gc_paused():
        parsed = parse_yaml(data, source_name, max_bytes=max_bytes)
        if parsed.root is None:
            return LoadResult(None, parsed.diagnostics)
        reader = YamlReader(source_name)
        dialog = _read_dialog(reader, parsed.root, stem, parsed.text)
        diagnostics = parsed.diagnostics + reader.diagnostics
        del parsed
    return LoadResult(dialog, diagnostics)


def load_dialog_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> LoadResult:
    """Read and build one dialog file; an unreadable file is a diagnostic too."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return LoadResult(
            None, [diag(Loc(str(path)), "RD006", f"cannot read the file: {exc.strerror}")]
        )
    if len(data) > max_bytes:
        size = path.stat().st_size
        return LoadResult(
            None,
            [
                diag(
                    Loc(str(path)),
                    "RD002",
                    f"the file is {size:,} bytes; the limit is {max_bytes:,}",
                )
            ],
        )
    return load_dialog_text(data, str(path), max_bytes=max_bytes)
