"""Edits that change one thing in a dialog's YAML text, keeping its comments and layout.

The structured view (`dialogs.structured`) and the text view edit the same file: an edit takes
the YAML text and returns the new YAML text. The text is read and written with the round trip of
`dialogs.roundtrip` (the guarded reader, then ruamel.yaml: comments, key order, quoting, flow
or block style and indentation survive; an unchanged file is written back byte for byte; texts
are set by its `set_text`, as translation imports do), then read again with the loader to make
sure the change reads back as meant. An edit that cannot be made raises `EditRefused`, whose `key`
names the reason (the Studio words it from its catalogue) and whose message says it in English.

Edits: `SetText` (a node's text, or error/label/body/yes/no, in one language), `SetOptionLabel`,
`SetOptionNext`, `AddOption`, `RemoveOption`, `SetNext` (a node's single way on), `AddScreen`;
`apply_edit(text, edit)` applies one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from dialogs.errors import DialogError
from dialogs.loader import load_dialog_text
from dialogs.model import NODE_KINDS, QuestionNode, Text
from dialogs.roundtrip import (
    RoundTripError,
    TextRef,
    dump_roundtrip,
    load_roundtrip,
    set_text,
)
from dialogs.structured import TEXT_FIELDS
from dialogs.yaml_comments import is_flow, move_tail, move_tail_to_start
from dialogs.yamlsafe import MAX_BYTES

__all__ = [
    "DIALOG_FIELDS",
    "NEW_SCREEN_KINDS",
    "AddOption",
    "AddScreen",
    "Edit",
    "EditRefused",
    "RemoveOption",
    "SetNext",
    "SetOptionLabel",
    "SetOptionNext",
    "SetText",
    "apply_edit",
]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTION_ID = re.compile(r"^[a-z0-9_]{1,55}$")
_LANG = re.compile(r"^[a-z]{2}$")
#: the kinds a new screen may have from the structured view (the others need more keys: the
#: text view writes them)
NEW_SCREEN_KINDS = ("message", "question", "end")


class EditRefused(DialogError):
    """An edit that cannot be made: `key` names the reason, `values` fill its text."""

    def __init__(self, key: str, message: str, **values: str) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


# -- the edits ------------------------------------------------------------------------------
#: the dialog's own texts (a `SetText` with `node=""`)
DIALOG_FIELDS = ("title", "summary")


@dataclass(frozen=True, slots=True)
class SetText:
    """One language of a node's text (`field`: text, error, label, body, yes, no), or of the
    dialog's title or summary (`node` empty)."""

    node: str
    lang: str
    value: str
    field: str = "text"


@dataclass(frozen=True, slots=True)
class SetOptionLabel:
    node: str
    option: str
    lang: str
    value: str


@dataclass(frozen=True, slots=True)
class SetOptionNext:
    node: str
    option: str
    target: str


@dataclass(frozen=True, slots=True)
class AddOption:
    node: str
    option: str
    target: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RemoveOption:
    node: str
    option: str


@dataclass(frozen=True, slots=True)
class SetNext:
    node: str
    target: str


@dataclass(frozen=True, slots=True)
class AddScreen:
    node: str
    kind: str
    texts: Mapping[str, str] = field(default_factory=dict)
    target: str = ""


Edit = SetText | SetOptionLabel | SetOptionNext | AddOption | RemoveOption | SetNext | AddScreen


# -- reading and writing --------------------------------------------------------------------
class _Document:
    """A dialog text read for a round trip (`dialogs.roundtrip`: the guarded reader first, then
    ruamel.yaml), with the ways to its screens and options."""

    def __init__(self, text: str, source: str, max_bytes: int) -> None:
        try:
            self.doc = load_roundtrip(text, source, max_bytes=max_bytes)
        except RoundTripError as exc:
            raise EditRefused(
                "unreadable", f"the text cannot be read; fix it in the text view: {exc}"
            ) from None
        self.data = self.doc.data

    def dump(self) -> str:
        return dump_roundtrip(self.doc)

    def nodes(self) -> CommentedMap:
        nodes = self.data.get("nodes")
        if not isinstance(nodes, CommentedMap):
            raise EditRefused("no_nodes", "the dialog has no `nodes:` mapping")
        return nodes

    def node(self, node_id: str) -> CommentedMap:
        node = self.nodes().get(node_id)
        if not isinstance(node, CommentedMap):
            raise EditRefused("no_node", f"there is no screen {node_id!r}", node=node_id)
        return node

    def options(self, node_id: str) -> CommentedSeq:
        options = self.node(node_id).get("options")
        if not isinstance(options, CommentedSeq):
            raise EditRefused("no_options", f"screen {node_id!r} has no options", node=node_id)
        return options

    def option(self, node_id: str, option_id: str) -> CommentedMap:
        for item in self.options(node_id):
            if isinstance(item, CommentedMap) and str(item.get("id")) == option_id:
                return item
        raise EditRefused(
            "no_option",
            f"screen {node_id!r} has no option {option_id!r}",
            node=node_id,
            option=option_id,
        )

    def languages(self) -> list[str]:
        found = self.data.get("languages")
        if isinstance(found, list) and found:
            return [str(lang) for lang in found]
        return ["en"]


def _reads_as_itself(value: str) -> bool:
    """Whether `value` written plain reads back as the same text with the loader's YAML."""
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:
        return False


def _scalar(value: str, like: object, *, flow: bool) -> Any:
    """The value to store, in the style of the value it replaces (`like`)."""
    if isinstance(like, LiteralScalarString | FoldedScalarString) and not flow:
        return LiteralScalarString(value)
    if "\n" in value and not flow:
        return LiteralScalarString(value)
    if isinstance(like, SingleQuotedScalarString) and "\n" not in value:
        return SingleQuotedScalarString(value)
    if type(like) is str and value == value.strip() and _reads_as_itself(value):
        return value  # a plain scalar stays plain when it reads back the same
    return DoubleQuotedScalarString(value)


def _new_text(languages: list[str], values: Mapping[str, str]) -> CommentedMap:
    text = CommentedMap()
    multi = any("\n" in v for v in values.values())
    for lang in [*languages, *(lang for lang in values if lang not in languages)]:
        if lang in values:
            text[lang] = _scalar(values[lang], DoubleQuotedScalarString(""), flow=not multi)
    if not multi:
        text.fa.set_flow_style()
    return text


def _set_lang(doc: _Document, ref: TextRef, owner: CommentedMap, lang: str, value: str) -> None:
    """Set one language of the text at `ref` (`dialogs.roundtrip.set_text`); a text on several
    lines in a `{en: ..., fr: ...}` map first turns the map into a block, where it can be
    written as a block text rather than an escaped line."""
    current = owner.get(ref.field)
    if isinstance(current, CommentedMap) and is_flow(current) and "\n" in value:
        current.fa.set_block_style()
    try:
        set_text(doc.doc, ref, lang, value)
    except RoundTripError:
        raise EditRefused(
            "bad_field", f"screen {ref.node!r} has no {ref.field!r}", field=ref.field
        ) from None


def _check_id(value: str, pattern: re.Pattern[str], what: str) -> None:
    if not pattern.match(value):
        raise EditRefused(
            "bad_id",
            f"{what} {value!r} must be lower-case letters, digits and _ (starting with a letter)",
            id=value,
        )


def _check_lang(doc: _Document, lang: str) -> None:
    if not _LANG.match(lang) or lang not in doc.languages():
        raise EditRefused(
            "bad_lang",
            f"{lang!r} is not one of the dialog's languages {doc.languages()}",
            language=lang,
        )


# -- applying -------------------------------------------------------------------------------
def _apply(doc: _Document, edit: Edit) -> None:
    if isinstance(edit, SetText):
        fields = TEXT_FIELDS if edit.node else DIALOG_FIELDS
        if edit.field not in fields:
            raise EditRefused("bad_field", f"{edit.field!r} is not a text", field=edit.field)
        _check_lang(doc, edit.lang)
        owner = doc.node(edit.node) if edit.node else doc.data
        _set_lang(doc, TextRef(edit.node, edit.field), owner, edit.lang, edit.value)
    elif isinstance(edit, SetOptionLabel):
        _check_lang(doc, edit.lang)
        option = doc.option(edit.node, edit.option)
        ref = TextRef(edit.node, "label", edit.option)
        _set_lang(doc, ref, option, edit.lang, edit.value)
    elif isinstance(edit, SetOptionNext):
        _check_id(edit.target, _ID, "the screen")
        option = doc.option(edit.node, edit.option)
        option["next"] = _scalar(edit.target, option.get("next"), flow=is_flow(option))
    elif isinstance(edit, SetNext):
        _check_id(edit.target, _ID, "the screen")
        node = doc.node(edit.node)
        if isinstance(node.get("next"), list):
            raise EditRefused(
                "branches", f"screen {edit.node!r} has conditional branches", node=edit.node
            )
        kind = str(node.get("kind"))
        if kind in ("question", "end"):
            raise EditRefused("no_next", f"a {kind} screen has no next", node=edit.node, kind=kind)
        node["next"] = _scalar(edit.target, node.get("next"), flow=is_flow(node))
    elif isinstance(edit, AddOption):
        _add_option(doc, edit)
    elif isinstance(edit, RemoveOption):
        options = doc.options(edit.node)
        item = doc.option(edit.node, edit.option)
        if len(options) == 1:
            raise EditRefused(
                "last_option", f"screen {edit.node!r} needs at least one option", node=edit.node
            )
        index = options.index(item)
        if index > 0:  # what was written after it now follows the option before it
            move_tail(item, options[index - 1])
        else:  # ... or comes before the new first option
            move_tail_to_start(item, doc.node(edit.node), "options")
        del options[index]
    else:
        _add_screen(doc, edit)


def _add_option(doc: _Document, edit: AddOption) -> None:
    _check_id(edit.option, _OPTION_ID, "the option id")
    _check_id(edit.target, _ID, "the screen")
    for lang in edit.labels:
        _check_lang(doc, lang)
    node = doc.node(edit.node)
    if str(node.get("kind")) != "question":
        raise EditRefused(
            "not_question", f"screen {edit.node!r} is not a question", node=edit.node
        )
    options = node.get("options")
    if not isinstance(options, CommentedSeq):
        options = CommentedSeq()
        node["options"] = options
    if any(isinstance(o, CommentedMap) and str(o.get("id")) == edit.option for o in options):
        raise EditRefused(
            "option_exists",
            f"screen {edit.node!r} already has an option {edit.option!r}",
            node=edit.node,
            option=edit.option,
        )
    item = CommentedMap()
    item["id"] = edit.option
    item["label"] = _new_text(doc.languages(), edit.labels)
    item["next"] = edit.target
    options.append(item)
    if len(options) > 1:
        move_tail(options[-2], item)


def _add_screen(doc: _Document, edit: AddScreen) -> None:
    _check_id(edit.node, _ID, "the screen id")
    if edit.kind not in NEW_SCREEN_KINDS:
        kinds = ", ".join(NEW_SCREEN_KINDS)
        raise EditRefused(
            "bad_kind",
            f"a new screen from this page is one of {kinds} (others: the text view)",
            kind=edit.kind if edit.kind in NODE_KINDS else "?",
        )
    for lang in edit.texts:
        _check_lang(doc, lang)
    nodes = doc.nodes()
    if edit.node in nodes:
        raise EditRefused(
            "node_exists", f"there is already a screen {edit.node!r}", node=edit.node
        )
    if edit.kind == "message" and not edit.target:
        raise EditRefused("needs_next", "a message screen needs where it leads", node=edit.node)
    node = CommentedMap()
    node["kind"] = edit.kind
    node["text"] = _new_text(doc.languages(), edit.texts or {doc.languages()[0]: ""})
    if edit.kind == "message":
        _check_id(edit.target, _ID, "the screen")
        node["next"] = edit.target
    elif edit.kind == "question":
        options = CommentedSeq()
        node["options"] = options
        if edit.target:
            _check_id(edit.target, _ID, "the screen")
            option = CommentedMap()
            option["id"] = "next"
            option["label"] = _new_text(doc.languages(), {doc.languages()[0]: "OK"})
            option["next"] = edit.target
            options.append(option)
    last = list(nodes)[-1] if nodes else None
    nodes[edit.node] = node
    if last is not None:  # one blank line between screens, as the files are written
        move_tail(nodes[last], node, blank_between=True)


def _read_back(text: str, edit: Edit) -> None:
    """The loader must read the edited text, and read the changed value as it was set."""
    loaded = load_dialog_text(text)
    dialog = loaded.dialog
    if dialog is None:
        raise EditRefused("broke", "the edit would make the dialog unreadable")
    node = dialog.nodes.get(edit.node)
    expected: tuple[Text | None, str, str] | None = None
    if isinstance(edit, SetText) and not edit.node:
        expected = (getattr(dialog, edit.field, None), edit.lang, edit.value)
    elif isinstance(edit, SetText) and node is not None:
        expected = (getattr(node, edit.field, None), edit.lang, edit.value)
    elif isinstance(edit, SetOptionLabel) and isinstance(node, QuestionNode):
        option = next((o for o in node.options if o.id == edit.option), None)
        expected = (option.label if option else None, edit.lang, edit.value)
    if expected is not None:
        text_value, lang, value = expected
        got = text_value.get(lang, dialog.default_language) if text_value else None
        if got != value.rstrip("\n"):
            raise EditRefused("broke", "the edited text would not read back as written")


def apply_edit(
    text: str, edit: Edit, source: str = "<dialog>", *, max_bytes: int = MAX_BYTES
) -> str:
    """The dialog text with one edit applied, comments and layout kept."""
    doc = _Document(text, source, max_bytes)
    _apply(doc, edit)
    result = doc.dump()
    _read_back(result, edit)
    return result
