"""What a pocket card says: the situations of a crisis dialog's first screen and, for each, the
key steps of the guidance behind it.

A situation is an option of the dialog's first question. Its key steps are found by walking
the guidance from that option as a user would see it, following `goto`s into other dialogs:
the text of each screen (shortened), the contact roles it names and whether it pages someone;
a question ends the walk (its choices are listed), unless it has a single option. Record
keeping (note, check-in) is skipped. The walk is bounded (`MAX_STEPS` screens, `MAX_HOPS`
nodes), so a loop or a long dialog cannot make the card longer than a page.

Texts are rendered by the dialogs' template engine with an empty context (`case` and
`practitioner` empty), so `{% if case %}` parts drop out and no template source is shown; a
text that cannot be rendered without a conversation (it reads an answer) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.library import DialogSource
from dialogs.model import (
    ContactNode,
    Dialog,
    GotoNode,
    Node,
    QuestionNode,
    Text,
)
from dialogs.templates import render, unavailable_text

__all__ = [
    "MAX_CHOICES",
    "MAX_HOPS",
    "MAX_STEPS",
    "Choice",
    "Situation",
    "Step",
    "intro",
    "shorten",
    "situations",
]

#: screens shown per situation
MAX_STEPS = 2
#: nodes walked per situation (gotos and record keeping included)
MAX_HOPS = 16
#: characters of one step's text
MAX_STEP_CHARS = 240
#: choices of a question listed under its step
MAX_CHOICES = 5
_SKIPPED = ("note", "checkin")


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    #: `risk: true` in the dialog: someone may be in danger
    risk: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    text: str
    roles: tuple[str, ...] = ()
    page: bool = False
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class Situation:
    label: str
    risk: bool
    steps: tuple[Step, ...]


def shorten(text: str, limit: int = MAX_STEP_CHARS) -> str:
    """One line: paragraphs and lines joined by spaces, cut at a word before `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _render(text: Text | None, dialog: Dialog, lang: str) -> str:
    if text is None:
        return ""
    source = text.get(lang, dialog.default_language)
    rendered = render(source, {"case": "", "practitioner": "", "lang": lang})
    return "" if rendered == unavailable_text(lang) else rendered


def _without_title(text: str, dialog: Dialog, lang: str) -> str:
    """A screen often opens with a heading (the dialog's title, or a short line without a
    full stop before a blank line): the card's own heading says it, so it is dropped."""
    title = dialog.title.get(lang, dialog.default_language).strip()
    head, sep, rest = text.strip().partition("\n")
    if sep and head.strip() == title:
        return rest
    heading, blank, after = text.strip().partition("\n\n")
    short = len(heading) <= 60 and "\n" not in heading and heading[-1:] not in ".?!:…»"
    return after if blank and short else text


@dataclass(frozen=True, slots=True)
class _Card:
    """What the card already shows: a question's choice that repeats it is left out."""

    source: DialogSource
    lang: str
    labels: frozenset[str]  # the situations' labels
    dialogs: frozenset[str]  # the dialogs the situations open


def _choices(card: _Card, dialog: Dialog, node: QuestionNode) -> tuple[Choice, ...]:
    """A question's choices, without the emergency button (`id: sos`: the card's first lines
    say it) and, unless risky, a situation of the card or a way into a dialog the card shows
    as a situation."""
    found: list[Choice] = []
    for option in node.options:
        label = shorten(_render(option.label, dialog, card.lang), 60)
        target = dialog.nodes.get(option.next)
        into = target.dialog if isinstance(target, GotoNode) else ""
        if not label or option.id == "sos":
            continue
        if not option.risk and (label in card.labels or into in card.dialogs):
            continue
        found.append(Choice(label, option.risk))
    return tuple(found[:MAX_CHOICES])


def _next(node: Node) -> str:
    """Where the guidance goes on: the unconditional branch, else the first one."""
    for branch in node.next:
        if branch.when is None:
            return branch.to
    return node.next[0].to if node.next else ""


def _walk(card: _Card, dialog: Dialog, node_id: str) -> tuple[Step, ...]:
    lang = card.lang
    steps: list[Step] = []
    seen: set[tuple[str, str]] = set()
    for _hop in range(MAX_HOPS):
        if len(steps) >= MAX_STEPS or (dialog.id, node_id) in seen:
            break
        seen.add((dialog.id, node_id))
        node = dialog.nodes.get(node_id)
        if node is None:
            break
        if isinstance(node, GotoNode):
            target = card.source.get(node.dialog)
            if target is None:
                break
            dialog, node_id = target, target.start
            continue
        if node.kind in _SKIPPED:
            node_id = _next(node)
            continue
        text = shorten(_without_title(_render(node.text, dialog, lang), dialog, lang))
        if isinstance(node, QuestionNode):
            if len(node.options) == 1:
                if text:
                    steps.append(Step(text))
                node_id = node.options[0].next
                continue
            steps.append(Step(text, choices=_choices(card, dialog, node)))
            break
        roles = node.roles if isinstance(node, ContactNode) else ()
        page = isinstance(node, ContactNode) and node.page
        if text or roles:
            steps.append(Step(text, roles, page))
        if node.kind == "end" or not node.next:
            break
        node_id = _next(node)
    return tuple(steps)


def situations(source: DialogSource, dialog: Dialog, lang: str) -> list[Situation]:
    """The card's situations: one per option of the first question (or the whole dialog as
    one situation when it does not start with a question)."""
    start = dialog.nodes.get(dialog.start)
    if not isinstance(start, QuestionNode):
        title = dialog.title.get(lang, dialog.default_language)
        card = _Card(source, lang, frozenset(), frozenset())
        return [Situation(title, False, _walk(card, dialog, dialog.start))]
    labels = [shorten(_render(option.label, dialog, lang), 80) for option in start.options]
    targets = [dialog.nodes.get(option.next) for option in start.options]
    opened = frozenset(t.dialog for t in targets if isinstance(t, GotoNode))
    card = _Card(source, lang, frozenset(labels), opened)
    return [
        Situation(label, option.risk, _walk(card, dialog, option.next))
        for label, option in zip(labels, start.options, strict=True)
    ]


def intro(dialog: Dialog, lang: str) -> str:
    """The first screen's text, shortened (without a repeated title)."""
    start = dialog.nodes.get(dialog.start)
    text = _render(start.text, dialog, lang) if start is not None else ""
    return shorten(_without_title(text, dialog, lang), 2 * MAX_STEP_CHARS)
