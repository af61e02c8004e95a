"""The structured view of a dialog: each screen (node) as a card, for editors who do not read YAML.

`structured_view(text)` reads a dialog's YAML text with the loader and returns, for every node,
its kind, its texts per language side by side (a language listed in `languages:` without a text
is flagged missing), its options with their labels and where they lead, and the diagnostics
that concern it (those whose line falls between its key and the next node's). Edits to the same
text are in `dialogs.structured_edits`; both views edit one file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from dialogs.checker import check_dialog
from dialogs.diagnostics import Diagnostic, sort_diagnostics
from dialogs.durations import format_duration
from dialogs.loader import load_dialog_text
from dialogs.model import (
    CheckinNode,
    ContactNode,
    Dialog,
    GotoNode,
    InputNode,
    Node,
    NoteNode,
    QuestionNode,
    Text,
)
from dialogs.yamlsafe import parse_yaml

__all__ = [
    "TEXT_FIELDS",
    "UNTRANSLATED_FIELDS",
    "Card",
    "OptionRow",
    "StructuredView",
    "TextCell",
    "TextRow",
    "node_key_lines",
    "structured_view",
]

#: the keys of a node that hold a text per language, in the order a card shows them
TEXT_FIELDS = ("text", "error", "label", "body", "yes", "no")


@dataclass(frozen=True, slots=True)
class TextCell:
    """One language of a text: its value, or missing (a language of the dialog with no text)."""

    lang: str
    value: str
    missing: bool
    line: int = 0


@dataclass(frozen=True, slots=True)
class TextRow:
    """One text of a screen (its `text`, an option's `label`...) in every language."""

    field: str
    cells: tuple[TextCell, ...]
    line: int = 0

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(cell.lang for cell in self.cells if cell.missing)

    def value(self, lang: str) -> str:
        return next((cell.value for cell in self.cells if cell.lang == lang), "")


@dataclass(frozen=True, slots=True)
class OptionRow:
    id: str
    label: TextRow | None
    next: str
    #: the target is a node of this dialog
    leads_somewhere: bool
    when: str = ""
    risk: bool = False
    line: int = 0


@dataclass(frozen=True, slots=True)
class Branch:
    to: str
    when: str
    leads_somewhere: bool


@dataclass(frozen=True, slots=True)
class Card:
    """A screen: a node of the dialog as an editor sees it."""

    id: str
    kind: str
    line: int
    end_line: int
    is_start: bool
    texts: tuple[TextRow, ...]
    options: tuple[OptionRow, ...]
    next: tuple[Branch, ...]
    #: what else the node says, as (key, value shown) pairs: roles, page, var, after, dialog...
    details: tuple[tuple[str, str], ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def missing_languages(self) -> tuple[str, ...]:
        rows = [*self.texts, *(o.label for o in self.options if o.label is not None)]
        found = {lang for row in rows for lang in row.missing}
        return tuple(sorted(found))


@dataclass(frozen=True, slots=True)
class StructuredView:
    """Every card of a dialog; `dialog_id` is "" when the text could not be read as a dialog
    (then `diagnostics` says why and `cards` is empty)."""

    dialog_id: str
    languages: tuple[str, ...]
    start: str
    title: TextRow | None
    summary: TextRow | None
    cards: tuple[Card, ...]
    #: diagnostics not within any card (the dialog's own keys, the YAML as a whole)
    diagnostics: tuple[Diagnostic, ...]

    @property
    def readable(self) -> bool:
        return bool(self.dialog_id)

    def card(self, node_id: str) -> Card | None:
        return next((card for card in self.cards if card.id == node_id), None)

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(card.id for card in self.cards)


def node_key_lines(text: str) -> dict[str, int]:
    """The line (1-based) of each node's key under `nodes:`; empty when the YAML is unreadable."""
    parsed = parse_yaml(text, "<dialog>")
    root = parsed.root
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if getattr(key, "value", None) == "nodes" and isinstance(value, yaml.MappingNode):
            return {
                str(k.value): k.start_mark.line + 1
                for k, _ in value.value
                if isinstance(k, yaml.ScalarNode)
            }
    return {}


#: texts written in one language only, never flagged as missing a translation (a note's body
#: is what is filed on the case; the checker does not ask for its translation either)
UNTRANSLATED_FIELDS = frozenset({"body"})


def _row(text: Text | None, field: str, languages: Sequence[str]) -> TextRow | None:
    if text is None:
        return None
    values = dict(text.values)
    if text.plain and languages:
        values = {languages[0]: values.get("", "")}
    cells = []
    for lang in (*languages, *(lang for lang in values if lang not in languages)):
        value = values.get(lang)
        if value is None and field in UNTRANSLATED_FIELDS:
            continue
        loc = text.locs.get(lang, text.loc) if not text.plain else text.loc
        cells.append(TextCell(lang, value or "", value is None, loc.line))
    return TextRow(field, tuple(cells), text.loc.line)


def _details(node: Node) -> list[tuple[str, str]]:
    if isinstance(node, InputNode):
        rules = node.validate
        found = [("var", node.var), ("type", rules.type)]
        found += [
            (key, str(getattr(rules, key)))
            for key in ("min_length", "max_length", "pattern", "min", "max")
            if getattr(rules, key) is not None
        ]
        return found
    if isinstance(node, ContactNode):
        return [("roles", ", ".join(node.roles)), ("page", "yes" if node.page else "no")]
    if isinstance(node, NoteNode):
        return [("tags", ", ".join(node.tags))] if node.tags else []
    if isinstance(node, CheckinNode):
        return [("after", format_duration(node.after))]
    if isinstance(node, GotoNode):
        return [("dialog", node.dialog)]
    return []


def _card(
    dialog: Dialog, node: Node, line: int, end_line: int, diagnostics: Sequence[Diagnostic]
) -> Card:
    languages = dialog.languages
    texts = [
        row
        for field in TEXT_FIELDS
        if (row := _row(getattr(node, field, None), field, languages)) is not None
    ]
    options: list[OptionRow] = []
    if isinstance(node, QuestionNode):
        for option in node.options:
            options.append(
                OptionRow(
                    option.id,
                    _row(option.label, "label", languages),
                    option.next,
                    option.next in dialog.nodes,
                    option.when_source,
                    option.risk,
                    option.loc.line,
                )
            )
    branches = tuple(Branch(b.to, b.when_source, b.to in dialog.nodes) for b in node.next)
    return Card(
        id=node.id,
        kind=node.kind,
        line=line,
        end_line=end_line,
        is_start=node.id == dialog.start,
        texts=tuple(texts),
        options=tuple(options),
        next=branches,
        details=tuple(_details(node)),
        diagnostics=tuple(diagnostics),
    )


def structured_view(
    text: str,
    source_name: str = "<dialog>",
    diagnostics: Iterable[Diagnostic] | None = None,
) -> StructuredView:
    """The cards of a dialog text. `diagnostics`: what to attach (default: the loader's and the
    checker's without a library; the Studio passes the whole library's, `dialogs.live`)."""
    loaded = load_dialog_text(text, source_name)
    dialog = loaded.dialog
    if diagnostics is None:
        found = list(loaded.diagnostics)
        if dialog is not None:
            found.extend(check_dialog(dialog))
        diagnostics = found
    ordered = sort_diagnostics(diagnostics)
    if dialog is None:
        return StructuredView("", (), "", None, None, (), tuple(ordered))
    key_lines = node_key_lines(text)
    starts = sorted(
        (key_lines.get(node.id, node.loc.line), node.id) for node in dialog.nodes.values()
    )
    last_line = text.count("\n") + 1
    spans: dict[str, tuple[int, int]] = {}
    for i, (line, node_id) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else last_line
        spans[node_id] = (line, end)
    by_node: dict[str, list[Diagnostic]] = {node_id: [] for node_id in spans}
    loose: list[Diagnostic] = []
    for item in ordered:
        owner = next((n for n, (low, high) in spans.items() if low <= item.loc.line <= high), None)
        (by_node[owner] if owner is not None else loose).append(item)
    cards = tuple(
        _card(dialog, dialog.nodes[node_id], *spans[node_id], by_node[node_id])
        for _, node_id in starts
    )
    title = _row(dialog.title, "title", dialog.languages)
    summary = _row(dialog.summary, "summary", dialog.languages)
    return StructuredView(
        dialog.id, dialog.languages, dialog.start, title, summary, cards, tuple(loose)
    )
