"""What a reviewing clinician would check in any dialog (codes RD100-RD119).

- RD100 (error): every path from an option marked `risk: true` reaches help — a contact node
  with `page: true` or with the `emergency` role — at the latest on the `RISK_SCREENS`-th
  screen after the option, following gotos into the other dialogs of the library. A path that
  ends first (an end node, the last dialog returning) or asks too many questions first fails.
- RD101 (warning): a dialog's first screen is at most `FIRST_SCREEN_WORDS` words of text, in
  every language.
- RD102 (warning): a term the glossary says to avoid (dialogs.glossary).
- RD104 (warning): an emergency number written in a text instead of coming from the contacts
  directory (dialogs.emergency_numbers).
- RD105 (warning): a goto into a dialog that some roles allowed into this one may not open.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dialogs.audience import open_to
from dialogs.diagnostics import Diagnostic, Loc
from dialogs.emergency_numbers import emergency_numbers, without_templates
from dialogs.glossary import Glossary
from dialogs.model import (
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
)
from dialogs.yamlsafe import diag

__all__ = [
    "FIRST_SCREEN_WORDS",
    "MAX_GOTO_DEPTH",
    "MAX_PLACES",
    "RISK_SCREENS",
    "check_guidance",
    "count_words",
    "first_screen_words",
    "leads_to_emergency",
]

#: help must be shown at the latest on this screen after a `risk: true` option (the screen the
#: option leads to is the 1st): at most RISK_SCREENS - 1 questions may come before it
RISK_SCREENS = 3
#: the first screen of a dialog, in words of text per language
FIRST_SCREEN_WORDS = 60
#: as the engine: deeper gotos are skipped (they continue at their `next`)
MAX_GOTO_DEPTH = 8
_WAITING = (QuestionNode, InputNode, NoteNode, CheckinNode)
#: a goto waiting for the dialog it runs to end: (calling dialog, where it may go on; "" = the
#: calling dialog may end too)
_Return = tuple[str, tuple[str, ...]]
#: steps explored for the risk options of one dialog before giving up (gotos multiply paths)
MAX_PLACES = 100_000


@dataclass(frozen=True, slots=True)
class _Place:
    """A point of a path: a node of a dialog, the gotos to return through, and how many
    screens were shown since the option."""

    dialog: str
    node: str
    stack: tuple[_Return, ...]
    screens: int


def _is_help(node: Node) -> bool:
    return isinstance(node, ContactNode) and (node.page or "emergency" in node.roles)


class _RiskPaths:
    """Every path from one option, explored with its goto stack, until help or failure.

    Iterative (a long chain of nodes cannot exhaust the interpreter's stack); conditions are
    not evaluated: every option and branch is a possible way on."""

    def __init__(self, root: Dialog, dialogs: Mapping[str, Dialog]) -> None:
        self.root = root
        self.dialogs = dialogs
        #: steps left for all the options of the dialog (a hostile draft stays cheap to check)
        self.budget = MAX_PLACES

    def failure(self, option: Option) -> str | None:
        """Why some path from `option` fails (None when every path reaches help in time)."""
        first = _Place(self.root.id, option.next, (), 0)
        parent: dict[_Place, _Place | None] = {first: None}
        todo = [first]
        while todo:
            self.budget -= 1
            if self.budget < 0:
                return f"its paths are too many to check (more than {MAX_PLACES:,} steps)"
            place = todo.pop()
            why, following = self._step(place)
            if why is not None:
                return f"{why} ({self._path(place, parent)})"
            for after in following:
                if after not in parent:
                    parent[after] = place
                    todo.append(after)
        return None

    def _path(self, place: _Place, parent: Mapping[_Place, _Place | None]) -> str:
        names: list[str] = []
        here: _Place | None = place
        while here is not None:
            node = here.node if here.dialog == self.root.id else f"{here.dialog}:{here.node}"
            names.append(node)
            here = parent[here]
        return " → ".join(reversed(names))

    def _step(self, place: _Place) -> tuple[str | None, list[_Place]]:
        """(why this path fails, or None; the places it may go on to)."""
        dialog = self.dialogs.get(place.dialog)
        node = dialog.nodes.get(place.node) if dialog is not None else None
        if node is None or _is_help(node):
            return None, []  # help; or a missing node or dialog, which is RD024/RD025
        screens = place.screens
        if isinstance(node, _WAITING):
            screens += 1
            if screens >= RISK_SCREENS:
                return (
                    f"{screens} screens come before any page or emergency contact, which must"
                    f" show by screen {RISK_SCREENS}"
                ), []
        if isinstance(node, GotoNode):
            target = self.dialogs.get(node.dialog)
            back = tuple(b.to for b in node.next)
            if all(b.when is not None for b in node.next):  # none may hold (or no next)
                back += ("",)
            if (
                target is not None
                and target.start in target.nodes
                and len(place.stack) < MAX_GOTO_DEPTH
            ):
                stack = (*place.stack, (place.dialog, back))
                return None, [_Place(target.id, target.start, stack, screens)]
        if isinstance(node, QuestionNode):
            ways: tuple[Option | Branch, ...] = node.options
            targets = tuple(o.next for o in node.options if o.next)
        elif isinstance(node, EndNode):
            ways, targets = (), ()
        else:
            ways, targets = node.next, tuple(b.to for b in node.next)
        following = [_Place(place.dialog, t, place.stack, screens) for t in targets]
        if following and any(way.when is None for way in ways):
            return None, following
        # every way has a condition (none may hold) or there is none: the dialog may be over
        return self._finish(place, screens, following)

    def _finish(
        self, place: _Place, screens: int, following: list[_Place]
    ) -> tuple[str | None, list[_Place]]:
        """The running dialog may be over: on at the goto that ran it, or the end of it all."""
        stack = place.stack
        while stack:
            (caller, back), stack = stack[-1], stack[:-1]
            following = [*following, *(_Place(caller, t, stack, screens) for t in back if t)]
            if back and "" not in back:
                return None, following
        return "the dialog can end before any page or emergency contact", []


def _texts(dialog: Dialog) -> Iterator[tuple[str, Text]]:
    """Every text a practitioner may read, with what it is."""
    yield "title", dialog.title
    if dialog.summary is not None:
        yield "summary", dialog.summary
    for node in dialog.nodes.values():
        what = f"node {node.id!r}"
        if node.text is not None:
            yield f"{what} text", node.text
        if isinstance(node, QuestionNode):
            for option in node.options:
                if option.label is not None:
                    yield f"option {option.id!r} label", option.label
        for key in ("error", "body", "label", "yes", "no"):
            value = getattr(node, key, None)
            if isinstance(value, Text):
                yield f"{what} {key}", value


def _languages(dialog: Dialog, text: Text) -> Iterator[tuple[str, str, Loc]]:
    """(language, value, where) of a text; a plain text is in the default language."""
    for lang, value in text.values.items():
        yield lang or dialog.default_language, value, text.locs.get(lang, text.loc)


def _at(lines: list[str], loc: Loc, value: str, offset: int) -> Loc:
    """Where in the file `offset` of a text falls: exact for `|` block texts, the first line of
    the text otherwise (`lines`: the dialog's source text, split)."""
    if not loc.line or loc.line > len(lines):
        return loc
    written = lines[loc.line - 1][max(loc.col - 1, 0) :]
    if written[:1] == "|":
        line = loc.line + 1 + value.count("\n", 0, offset)
        first = lines[loc.line] if loc.line < len(lines) else ""
        indent = len(first) - len(first.lstrip(" "))
        column = indent + offset - (value.rfind("\n", 0, offset) + 1) + 1
        return Loc(loc.file, line, column)
    if written[:1] == ">":
        return Loc(loc.file, loc.line + 1, loc.col)
    return loc


def count_words(text: str) -> int:
    """Words a person reads: runs of characters with a letter or a digit (a template value
    counts as one word)."""
    words = without_templates(text, "x").split()
    return sum(1 for w in words if any(c.isalnum() for c in w))


def first_screen_words(dialog: Dialog, lang: str) -> tuple[int, Loc]:
    """Words of text on the first screen in `lang` (the start node and the message nodes
    run before the first question), and where the start's text is."""
    node = dialog.nodes.get(dialog.start)
    total = 0
    where = dialog.loc
    seen: set[str] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        if node.text is not None:
            total += count_words(node.text.get(lang, dialog.default_language))
            if where == dialog.loc:
                where = node.text.locs.get(lang, node.text.loc)
        if not isinstance(node, MessageNode | ContactNode) or not node.next:
            break
        node = dialog.nodes.get(node.next[-1].to)
    return total, where


def leads_to_emergency(dialog: Dialog, option: Option) -> bool:
    """Whether choosing `option` shows the emergency contacts right away (message nodes on
    the way are fine)."""
    node = dialog.nodes.get(option.next)
    seen: set[str] = set()
    while isinstance(node, MessageNode | ContactNode) and node.id not in seen:
        seen.add(node.id)
        if isinstance(node, ContactNode) and "emergency" in node.roles:
            return True
        if len(node.next) != 1:
            return False
        node = dialog.nodes.get(node.next[0].to)
    return False


class _Guidance:
    def __init__(
        self, dialog: Dialog, dialogs: Mapping[str, Dialog], glossary: Glossary | None
    ) -> None:
        self.d = dialog
        self.dialogs = dialogs
        self.glossary = glossary
        self.out: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        self.risk()
        self.first_screen()
        self.words()
        self.gotos()
        return self.out

    def risk(self) -> None:
        paths = _RiskPaths(self.d, {**self.dialogs, self.d.id: self.d})
        for node in self.d.nodes.values():
            if not isinstance(node, QuestionNode):
                continue
            for option in node.options:
                if not option.risk:
                    continue
                failure = paths.failure(option)
                if failure is not None:
                    self.out.append(
                        diag(
                            option.locs.get("risk", option.loc),
                            "RD100",
                            f"risk option {option.id!r} of node {node.id!r}: {failure}",
                            "put a contact node with page: true or roles: [emergency, ...]"
                            " right after it",
                        )
                    )

    def first_screen(self) -> None:
        for lang in self.d.languages:
            words, where = first_screen_words(self.d, lang)
            if words > FIRST_SCREEN_WORDS:
                self.out.append(
                    diag(
                        where,
                        "RD101",
                        f"the first screen is {words} words in {lang!r};"
                        f" at most {FIRST_SCREEN_WORDS} can be read mid-crisis",
                        "move explanations after the choice",
                    )
                )

    def words(self) -> None:
        roles = open_to(self.d)
        lines = self.d.source_text.splitlines()
        for what, text in _texts(self.d):
            for lang, value, loc in _languages(self.d, text):
                if self.glossary is not None:
                    for term, found in self.glossary.matches(value, lang, roles):
                        self.out.append(
                            diag(
                                _at(lines, loc, value, found.start()),
                                "RD102",
                                f"{what} ({lang}): avoid {found.group(0)!r}",
                                term.hint(),
                            )
                        )
                for number in emergency_numbers(value):
                    self.out.append(
                        diag(
                            _at(lines, loc, value, number.start(1)),
                            "RD104",
                            f"{what} ({lang}): hard-coded emergency number {number.group(1)!r}",
                            "say 'call emergency services' and add a contact node with the"
                            " `emergency` role: the number comes from the contacts directory",
                        )
                    )

    def gotos(self) -> None:
        allowed = open_to(self.d)
        for node in self.d.nodes.values():
            if not isinstance(node, GotoNode):
                continue
            target = self.dialogs.get(node.dialog)
            if target is None or target.id == self.d.id:
                continue
            left_out = sorted(allowed - open_to(target))
            if left_out:
                self.out.append(
                    diag(
                        node.locs.get("dialog", node.loc),
                        "RD105",
                        f"node {node.id!r}: {', '.join(left_out)} may open {self.d.id!r} but"
                        f" not {target.id!r}, and will not enter it",
                        f"widen the audience of {target.id!r}, or narrow this dialog's",
                    )
                )


def check_guidance(
    dialog: Dialog,
    dialogs: Mapping[str, Dialog] | None = None,
    glossary: Glossary | None = None,
) -> list[Diagnostic]:
    """RD100-RD105 for one dialog. `dialogs`: the library by id (newest versions) for gotos
    (None = this dialog alone: a goto elsewhere continues at its `next`, as the engine does
    for a dialog it cannot find); `glossary`: the terms to avoid (None = not checked)."""
    return _Guidance(dialog, dict(dialogs or {}), glossary).run()
