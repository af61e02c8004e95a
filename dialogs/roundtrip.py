"""Edit a dialog file's texts without losing its comments or layout (ruamel.yaml round trip).

The checker and the engine read dialogs with PyYAML (`dialogs.yamlsafe`); a tool that writes a
dialog back (translation import, the Studio's structured editor) goes through this module, so
that the psychologist's comments, key order, quoting and block texts survive an edit:

    doc = load_roundtrip(text, "trigger_loss.yaml")   # RoundTripError when it cannot be read
    set_text(doc, TextRef("start", "text"), "fr", "Bonjour")
    new_text = dump_roundtrip(doc)

The text is first read by the guarded reader (`dialogs.yamlsafe.parse_yaml`: size, UTF-8, no
anchors or aliases, bounded nesting), so a hostile file is refused before ruamel sees it.
Only texts are written here; the result is checked by the caller (`dialogs.check_dialog_text`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from dialogs.diagnostics import Diagnostic
from dialogs.errors import DialogError
from dialogs.yamlsafe import MAX_BYTES, parse_yaml

__all__ = [
    "RoundTripDoc",
    "RoundTripError",
    "TextRef",
    "dump_roundtrip",
    "get_text",
    "line_of",
    "load_roundtrip",
    "set_text",
    "text_refs",
]

#: the text fields of each node kind (and of an option: `label`), in the order a file has them
NODE_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "message": ("text",),
    "question": ("text",),
    "input": ("text", "error"),
    "contact": ("text",),
    "note": ("text", "body", "yes", "no"),
    "checkin": ("text", "label", "yes", "no"),
    "goto": (),
    "end": ("text",),
}
DIALOG_TEXT_FIELDS = ("title", "summary")


class RoundTripError(DialogError):
    """The file cannot be read for editing, or the text to set has no place in it. The
    message says where; `diagnostics` holds the reader's located diagnostics, if any."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True, slots=True)
class TextRef:
    """Where a text is: a dialog field (`node` empty: `title`, `summary`), a node's field
    (`text`, `error`, `body`, `yes`, `no`, `label`) or an option's `label`."""

    node: str
    field: str
    option: str = ""

    def string_id(self, dialog_id: str) -> str:
        """The stable id of the text: `<dialog>.<node>[.<option>].<field>`."""
        parts = [dialog_id, self.node, self.option, self.field]
        return ".".join(p for p in parts if p)


@dataclass(slots=True)
class RoundTripDoc:
    """A dialog file loaded for editing, and how to write it back the way it was indented."""

    data: CommentedMap
    indent: tuple[int, int, int] = (2, 4, 2)  # mapping, sequence, sequence dash offset


def _yaml(indent: tuple[int, int, int] = (2, 4, 2)) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long text
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file writes them; the defaults when it shows none."""
    mapping = sequence = offset = 0
    previous = ""
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(stripped)
        before = len(previous) - len(previous.lstrip(" "))
        if previous.rstrip().endswith(":") and depth > before:
            if stripped.startswith("- ") and not sequence:
                offset = depth - before
                sequence = offset + 2
            elif not stripped.startswith("- ") and not mapping:
                mapping = depth - before
        if mapping and sequence:
            break
        previous = line
    return (mapping or 2, sequence or 4, offset if sequence else 2)


def load_roundtrip(
    text: str, source: str = "<dialog>", max_bytes: int = MAX_BYTES
) -> RoundTripDoc:
    """Read a dialog file for editing; RoundTripError (with located diagnostics) when the
    guarded reader refuses it or it is not a mapping."""
    parsed = parse_yaml(text, source, max_bytes=max_bytes)
    if parsed.root is None:
        first = parsed.diagnostics[0] if parsed.diagnostics else None
        raise RoundTripError(
            str(first) if first else f"{source}: cannot be read", parsed.diagnostics
        )
    try:
        data = _yaml().load(parsed.text)
    except YAMLError as exc:
        raise RoundTripError(f"{source}: cannot be read for editing: {exc}") from None
    if not isinstance(data, CommentedMap):
        raise RoundTripError(f"{source}: a dialog file is a mapping (id:, title:, nodes: ...)")
    return RoundTripDoc(data, _guess_indent(parsed.text))


def dump_roundtrip(doc: RoundTripDoc) -> str:
    """The file's text again, with the edits, comments and layout."""
    out = io.StringIO()
    _yaml(doc.indent).dump(doc.data, out)
    return out.getvalue()


def _default_language(data: CommentedMap) -> str:
    languages = data.get("languages")
    if isinstance(languages, CommentedSeq) and languages and isinstance(languages[0], str):
        return languages[0]
    return "en"


def _node(data: CommentedMap, node_id: str) -> CommentedMap | None:
    nodes = data.get("nodes")
    node = nodes.get(node_id) if isinstance(nodes, CommentedMap) else None
    return node if isinstance(node, CommentedMap) else None


def _option(node: CommentedMap, option_id: str) -> CommentedMap | None:
    options = node.get("options")
    if not isinstance(options, CommentedSeq):
        return None
    for option in options:
        if isinstance(option, CommentedMap) and str(option.get("id")) == option_id:
            return option
    return None


def _holder(doc: RoundTripDoc, ref: TextRef) -> CommentedMap | None:
    """The mapping whose `ref.field` key holds the text (a node, an option, the dialog)."""
    if not ref.node:
        return doc.data
    node = _node(doc.data, ref.node)
    if node is None or not ref.option:
        return node
    return _option(node, ref.option)


def get_text(doc: RoundTripDoc, ref: TextRef, lang: str) -> str | None:
    """The text at `ref` in `lang` (a plain string counts as the default language)."""
    holder = _holder(doc, ref)
    value = holder.get(ref.field) if holder is not None else None
    if isinstance(value, CommentedMap):
        found = value.get(lang)
        return str(found) if isinstance(found, str) else None
    if isinstance(value, str) and lang == _default_language(doc.data):
        return str(value)
    return None


def _styled(value: str, like: object, flow: bool) -> object:
    """`value` written in the style of the text it replaces (or of its neighbours)."""
    if "\n" in value and not flow:
        return LiteralScalarString(value)
    if isinstance(like, SingleQuotedScalarString) and "\n" not in value:
        return SingleQuotedScalarString(value)
    if isinstance(like, LiteralScalarString) and not flow:
        return LiteralScalarString(value)
    return DoubleQuotedScalarString(value)


def set_text(doc: RoundTripDoc, ref: TextRef, lang: str, value: str) -> None:
    """Set the text at `ref` for `lang`, keeping the file's layout. A plain text (the default
    language only) becomes a map of languages when another language is added. RoundTripError
    when there is no such node, option or text field."""
    holder = _holder(doc, ref)
    where = ".".join(p for p in (ref.node, ref.option, ref.field) if p)
    if holder is None:
        what = (
            f"option {ref.option!r} of node {ref.node!r}" if ref.option else f"node {ref.node!r}"
        )
        raise RoundTripError(f"{where}: the dialog has no {what}")
    current = holder.get(ref.field)
    default = _default_language(doc.data)
    if isinstance(current, CommentedMap):
        flow = current.fa.flow_style()
        like = current.get(lang, next(iter(current.values()), None))
        current[lang] = _styled(value, like, flow)
        return
    if isinstance(current, str):
        if lang == default:
            holder[ref.field] = _styled(value, current, False)
            return
        texts = CommentedMap()
        texts[default] = _styled(str(current), current, False)
        texts[lang] = _styled(value, current, False)
        holder[ref.field] = texts
        return
    raise RoundTripError(f"{where}: there is no such text to translate in the dialog")


def text_refs(doc: RoundTripDoc) -> Iterator[tuple[TextRef, str]]:
    """Every text of the dialog as (where, node kind), in file order: `title`, `summary`,
    then each node's texts and its options' labels."""
    for name in DIALOG_TEXT_FIELDS:
        if doc.data.get(name) is not None:
            yield TextRef("", name), "dialog"
    nodes = doc.data.get("nodes")
    if not isinstance(nodes, CommentedMap):
        return
    for node_id, node in nodes.items():
        if not isinstance(node, CommentedMap):
            continue
        kind = str(node.get("kind", ""))
        for name in NODE_TEXT_FIELDS.get(kind, ("text",)):
            if node.get(name) is not None:
                yield TextRef(str(node_id), name), kind
        options = node.get("options")
        if isinstance(options, CommentedSeq):
            for option in options:
                if isinstance(option, CommentedMap) and option.get("label") is not None:
                    yield TextRef(str(node_id), "label", str(option.get("id"))), "option"


def line_of(doc: RoundTripDoc, ref: TextRef, lang: str = "") -> int:
    """The 1-based line of the text at `ref` (in `lang` when given and present) in the file as
    loaded; 0 when unknown."""
    holder = _holder(doc, ref)
    try:
        value = holder.get(ref.field) if holder is not None else None
        if isinstance(value, CommentedMap) and lang in value:
            return int(value.lc.value(lang)[0]) + 1
        return int(holder.lc.value(ref.field)[0]) + 1 if holder is not None else 0
    except (KeyError, AttributeError, TypeError, IndexError):
        return 0
