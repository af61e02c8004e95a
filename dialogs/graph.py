"""A dialog as a picture: Mermaid or Graphviz DOT source, or SVG/PNG rendered by `dot`."""

from __future__ import annotations

import shutil
import subprocess

from dialogs.errors import DialogError, GraphvizMissing
from dialogs.model import (
    CheckinNode,
    ContactNode,
    Dialog,
    GotoNode,
    InputNode,
    Node,
    NoteNode,
    QuestionNode,
)

__all__ = [
    "GRAPH_FORMATS",
    "KIND_COLOURS",
    "render_dot",
    "render_graph",
    "render_picture",
    "to_dot",
    "to_mermaid",
]

GRAPH_FORMATS = ("mermaid", "dot", "svg", "png")
KIND_COLOURS = {
    "message": "#e8eef7",
    "question": "#fff2cc",
    "input": "#e2f0d9",
    "contact": "#f8cbad",
    "note": "#dae3f3",
    "checkin": "#e4dfec",
    "goto": "#d9d9d9",
    "end": "#c6e0b4",
}
_MAX_LABEL = 48
_DOT_TIMEOUT = 60


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def _summary(dialog: Dialog, node: Node, lang: str) -> str:
    text = node.text.get(lang, dialog.default_language) if node.text is not None else ""
    extra = ""
    if isinstance(node, ContactNode):
        extra = "roles: " + ", ".join(node.roles) + (" (page)" if node.page else "")
    elif isinstance(node, GotoNode):
        extra = f"goto {node.dialog}"
    elif isinstance(node, InputNode):
        extra = f"→ {node.var}"
    elif isinstance(node, CheckinNode):
        extra = "check-in"
    elif isinstance(node, NoteNode):
        extra = "note"
    parts = [f"{node.id} ({node.kind})"]
    if text:
        parts.append(_short(text))
    if extra:
        parts.append(extra)
    return "\n".join(parts)


def _edges(dialog: Dialog, node: Node, lang: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(node, QuestionNode):
        for option in node.options:
            label = option.label.get(lang, dialog.default_language) if option.label else option.id
            if option.when_source:
                label += f" [if {option.when_source}]"
            out.append((option.next, _short(label)))
    for branch in node.next:
        out.append((branch.to, _short(f"if {branch.when_source}") if branch.when_source else ""))
    return [(target, label) for target, label in out if target in dialog.nodes]


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(dialog: Dialog, lang: str | None = None) -> str:
    lang = lang or dialog.default_language
    lines = ["flowchart TD"]
    ids = {node_id: f"n{i}" for i, node_id in enumerate(dialog.nodes)}
    for node_id, node in dialog.nodes.items():
        label = _mermaid_text(_summary(dialog, node, lang))
        lines.append(f'    {ids[node_id]}["{label}"]:::{node.kind}')
    for node_id, node in dialog.nodes.items():
        for target, label in _edges(dialog, node, lang):
            arrow = f'-->|"{_mermaid_text(label)}"|' if label else "-->"
            lines.append(f"    {ids[node_id]} {arrow} {ids[target]}")
    if dialog.start in ids:
        lines.append(f"    start((start)) --> {ids[dialog.start]}")
    for kind, colour in KIND_COLOURS.items():
        lines.append(f"    classDef {kind} fill:{colour},stroke:#555")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_dot(dialog: Dialog, lang: str | None = None) -> str:
    lang = lang or dialog.default_language
    lines = [
        f'digraph "{_dot_text(dialog.id)}" {{',
        "    rankdir=TB;",
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
        '    __start [shape=circle, label="start", fillcolor="#ffffff"];',
    ]
    shapes = {"question": "diamond", "end": "doublecircle", "goto": "component"}
    for node_id, node in dialog.nodes.items():
        colour = KIND_COLOURS.get(node.kind, "#ffffff")
        shape = shapes.get(node.kind, "box")
        label = _dot_text(_summary(dialog, node, lang))
        lines.append(
            f'    "{_dot_text(node_id)}" [label="{label}", fillcolor="{colour}", shape={shape}];'
        )
    if dialog.start in dialog.nodes:
        lines.append(f'    __start -> "{_dot_text(dialog.start)}";')
    for node_id, node in dialog.nodes.items():
        for target, label in _edges(dialog, node, lang):
            attrs = f' [label="{_dot_text(label)}"]' if label else ""
            lines.append(f'    "{_dot_text(node_id)}" -> "{_dot_text(target)}"{attrs};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_picture(dialog: Dialog, fmt: str, lang: str | None = None) -> bytes:
    """SVG or PNG bytes drawn by Graphviz; raises GraphvizMissing if `dot` is not installed."""
    return render_dot(to_dot(dialog, lang), fmt)


def render_dot(source: str, fmt: str) -> bytes:
    """SVG or PNG bytes of DOT `source` (a dialog drawn with figures: `relais stats`)."""
    if fmt not in ("svg", "png"):
        raise DialogError(f"picture format must be svg or png, not {fmt!r}")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing()
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=_DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DialogError(f"Graphviz failed: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DialogError("Graphviz failed: " + (message[0] if message else "unknown error"))
    return done.stdout


def render_graph(dialog: Dialog, fmt: str, lang: str | None = None) -> bytes:
    """Any of GRAPH_FORMATS as bytes (mermaid and dot are UTF-8 text)."""
    if fmt == "mermaid":
        return to_mermaid(dialog, lang).encode("utf-8")
    if fmt == "dot":
        return to_dot(dialog, lang).encode("utf-8")
    return render_picture(dialog, fmt, lang)
