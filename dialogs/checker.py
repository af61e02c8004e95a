"""Semantic checks of a loaded dialog: graph, templates, conditions, translations, channels.

`check_dialog` reports every problem at once; `check_dialog_text` loads and checks in one call
(what publishing uses for an uploaded draft).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping

from dialogs.diagnostics import Diagnostic, Loc
from dialogs.expr import Expr, variables
from dialogs.glossary import Glossary
from dialogs.guidance import check_guidance
from dialogs.loader import LoadResult, load_dialog_text
from dialogs.model import (
    CONTEXT_VARIABLES,
    CheckinNode,
    ContactNode,
    Dialog,
    EndNode,
    GotoNode,
    InputNode,
    Node,
    NoteNode,
    QuestionNode,
    Text,
)
from dialogs.template_check import template_diagnostics
from dialogs.yamlsafe import MAX_BYTES, diag

__all__ = [
    "MAX_LABEL",
    "MAX_MESSAGE",
    "MAX_TOKEN_BYTES",
    "TURN_DIGITS",
    "check_dialog",
    "check_dialog_text",
    "edges",
]

MAX_LABEL = 40
MAX_MESSAGE = 4096
MAX_TOKEN_BYTES = 64
#: the turn counter in a button token "<turn>.<option_id>" is budgeted at this many digits
TURN_DIGITS = 8
_WAITING = (QuestionNode, InputNode, NoteNode, CheckinNode)


def edges(node: Node) -> Iterator[tuple[str, Loc]]:
    """The node ids a node can lead to, with where each is written."""
    for branch in node.next:
        yield branch.to, branch.loc
    if isinstance(node, QuestionNode):
        for option in node.options:
            if option.next:
                yield option.next, option.locs.get("next", option.loc)


def _is_exit(node: Node) -> bool:
    """A safe end of a path: an end, a contact or a handoff to another dialog."""
    return isinstance(node, EndNode | ContactNode | GotoNode)


def _is_dead_end(node: Node) -> bool:
    if isinstance(node, EndNode | ContactNode | GotoNode):
        return False
    if isinstance(node, QuestionNode):
        return not node.options
    return not node.next


class _Checker:
    def __init__(
        self,
        dialog: Dialog,
        roles: Collection[str] | None,
        dialog_ids: Collection[str] | None,
    ) -> None:
        self.d = dialog
        self.roles = roles
        self.dialog_ids = dialog_ids
        self.out: list[Diagnostic] = []
        self.defined = CONTEXT_VARIABLES | {
            n.var for n in dialog.nodes.values() if isinstance(n, InputNode) and n.var
        }

    def add(self, loc: Loc, code: str, message: str, hint: str = "") -> None:
        self.out.append(diag(loc, code, message, hint))

    def run(self) -> list[Diagnostic]:
        d = self.d
        self.metadata()
        for node in d.nodes.values():
            self.node(node)
        self.graph()
        return self.out

    # -- metadata -------------------------------------------------------------------------
    def metadata(self) -> None:
        d = self.d
        token = f"o.{d.id}"
        if len(token.encode()) > MAX_TOKEN_BYTES:
            self.add(
                d.locs.get("id", d.loc),
                "RD061",
                f"dialog id {d.id!r} is too long for a button",
                "at most 60 characters",
            )
        self.text(d.title, "title")
        if d.summary is not None:
            self.text(d.summary, "summary")
        if d.status == "published" and not d.reviewed_by:
            self.add(d.locs.get("status", d.loc), "RD080", "published dialog has no reviewed_by")
        if d.start not in d.nodes:
            self.add(
                d.locs.get("start", d.loc),
                "RD023",
                f"start node {d.start!r} does not exist",
                self.close(d.start),
            )
        elif "crisis" in d.tags:
            self.crisis()

    def crisis(self) -> None:
        d = self.d
        first = d.nodes[d.start]
        if isinstance(first, QuestionNode):
            for option in first.options:
                target = d.nodes.get(option.next)
                if (
                    option.when is None
                    and isinstance(target, ContactNode)
                    and "emergency" in target.roles
                ):
                    return
        self.add(
            first.loc,
            "RD071",
            f"crisis dialog {d.id!r}: the first screen offers no option leading straight"
            " to the emergency contacts",
            "add an option whose next is a contact node with roles: [emergency, ...]",
        )

    def close(self, target: str) -> str:
        match = difflib.get_close_matches(target, list(self.d.nodes), n=1)
        return f"did you mean {match[0]!r}?" if match else ""

    # -- texts ----------------------------------------------------------------------------
    def text(self, text: Text, what: str, *, label: bool = False, translate: bool = True) -> None:
        d = self.d
        default = d.default_language
        values = text.values
        for lang, source in values.items():
            loc = text.locs.get(lang, text.loc)
            if lang and lang not in d.languages:
                self.add(
                    loc,
                    "RD052",
                    f"{what} has a text in {lang!r}, not in languages {list(d.languages)}",
                )
            if "{" in source:
                self.out.extend(
                    template_diagnostics(source, loc, what, self.defined, d.source_text)
                )
            if len(source) > MAX_MESSAGE:
                self.add(
                    loc,
                    "RD062",
                    f"{what} is {len(source):,} characters; the limit is {MAX_MESSAGE:,}",
                )
            if label and len(source) > MAX_LABEL:
                self.add(
                    loc,
                    "RD060",
                    f"label {source[:20]!r}... is {len(source)} characters",
                    f"at most {MAX_LABEL}",
                )
        has_default = default in values or text.plain
        if not has_default:
            self.add(text.loc, "RD050", f"{what} has no text in the default language {default!r}")
        if translate:
            for lang in d.languages[1:]:
                if lang not in values:
                    self.add(text.loc, "RD051", f"{what} has no {lang!r} translation")

    # -- nodes ----------------------------------------------------------------------------
    def node(self, node: Node) -> None:
        what = f"node {node.id!r}"
        if node.text is not None:
            self.text(node.text, f"{what} text")
        for branch in node.next:
            self.condition(branch.when, branch.when_source, branch.when_loc or branch.loc, what)
        if node.next and node.next[-1].when is not None:
            self.add(
                node.next[-1].loc,
                "RD033",
                f"{what}: every branch has a condition",
                "end with a branch that only has `to:`",
            )
        if isinstance(node, QuestionNode):
            for option in node.options:
                if option.label is not None:
                    self.text(option.label, f"option {option.id!r} label", label=True)
                self.condition(
                    option.when, option.when_source, option.locs.get("when", option.loc), what
                )
                token = f"{'9' * TURN_DIGITS}.{option.id}"
                if len(token.encode()) > MAX_TOKEN_BYTES:
                    self.add(
                        option.locs.get("id", option.loc),
                        "RD061",
                        f"option id {option.id!r} makes a {len(token.encode())}-byte button token",
                        f"at most {MAX_TOKEN_BYTES - TURN_DIGITS - 1} characters",
                    )
            if node.options and all(o.when is not None for o in node.options):
                self.add(
                    node.loc,
                    "RD033",
                    f"{what}: every option has a condition",
                    "keep one option without `when`",
                )
        elif isinstance(node, InputNode):
            if node.error is not None:
                self.text(node.error, f"{what} error")
        elif isinstance(node, ContactNode):
            if self.roles is not None:
                for role in node.roles:
                    if role not in self.roles:
                        match = difflib.get_close_matches(role, list(self.roles), n=1)
                        hint = (
                            f"did you mean {match[0]!r}?"
                            if match
                            else "roles: " + ", ".join(sorted(self.roles))
                        )
                        self.add(
                            node.locs.get("roles", node.loc),
                            "RD070",
                            f"contact role {role!r} is not declared",
                            hint,
                        )
        elif isinstance(node, NoteNode | CheckinNode):
            if isinstance(node, NoteNode) and node.body is not None:
                self.text(node.body, f"{what} body", translate=False)
            if isinstance(node, CheckinNode) and node.label is not None:
                self.text(node.label, f"{what} label")
            for key in ("yes", "no"):
                value = getattr(node, key)
                if value is not None:
                    self.text(value, f"{what} {key}", label=True)
        elif (
            isinstance(node, GotoNode)
            and node.dialog
            and self.dialog_ids is not None
            and node.dialog not in self.dialog_ids
        ):
            match = difflib.get_close_matches(node.dialog, list(self.dialog_ids), n=1)
            self.add(
                node.locs.get("dialog", node.loc),
                "RD025",
                f"dialog {node.dialog!r} does not exist",
                f"did you mean {match[0]!r}?" if match else "",
            )

    def condition(self, expr: Expr | None, source: str, loc: Loc, what: str) -> None:
        if expr is None:
            return
        for name in sorted(variables(expr) - self.defined):
            self.add(
                loc,
                "RD043",
                f"{what}: condition {source!r} uses {name!r}, which no input node sets",
            )

    # -- graph ----------------------------------------------------------------------------
    def graph(self) -> None:
        d = self.d
        nodes = d.nodes
        succ: dict[str, list[str]] = {}
        for node in nodes.values():
            targets: list[str] = []
            for target, loc in edges(node):
                if target in nodes:
                    targets.append(target)
                else:
                    self.add(
                        loc,
                        "RD024",
                        f"node {node.id!r} leads to {target!r}, which does not exist",
                        self.close(target),
                    )
            succ[node.id] = targets
            if _is_dead_end(node):
                self.add(
                    node.loc,
                    "RD031",
                    f"{node.kind} node {node.id!r} has no way on",
                    "add next: <node id>",
                )
        if d.start not in nodes:
            return
        reached = {d.start}
        stack = [d.start]
        while stack:
            for target in succ[stack.pop()]:
                if target not in reached:
                    reached.add(target)
                    stack.append(target)
        for node in nodes.values():
            if node.id not in reached:
                self.add(
                    node.loc,
                    "RD030",
                    f"node {node.id!r} cannot be reached from the start {d.start!r}",
                )
        # which nodes can reach a safe exit?
        pred: dict[str, list[str]] = {n: [] for n in nodes}
        for source, targets in succ.items():
            for target in targets:
                pred[target].append(source)
        safe = {n.id for n in nodes.values() if _is_exit(n)}
        stack = list(safe)
        while stack:
            for source in pred[stack.pop()]:
                if source not in safe:
                    safe.add(source)
                    stack.append(source)
        trapped = {n for n in reached if n not in safe and not _is_dead_end(nodes[n])}
        for component in _components(succ, trapped):
            first = min(component, key=list(nodes).index)
            names = ", ".join(sorted(component))
            self.add(
                nodes[first].loc,
                "RD032",
                f"nodes {names} loop with no way to an end, a contact or a goto",
            )
        # loops that never stop to ask anything would spin forever
        auto = {
            n
            for n in reached
            if not isinstance(nodes[n], _WAITING) and not isinstance(nodes[n], EndNode)
        }
        for component in _components(succ, auto):
            first = min(component, key=list(nodes).index)
            names = ", ".join(sorted(component))
            self.add(
                nodes[first].loc,
                "RD032",
                f"nodes {names} loop without any question: the bot would repeat forever",
            )


def _components(succ: dict[str, list[str]], within: set[str]) -> list[set[str]]:
    """Strongly connected components (with a cycle) of the sub-graph on `within` (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0
    for root in sorted(within):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = [t for t in succ[node] if t in within]
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in succ[node]:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def check_dialog(
    dialog: Dialog,
    *,
    roles: Collection[str] | None = None,
    dialog_ids: Collection[str] | None = None,
    dialogs: Mapping[str, Dialog] | None = None,
    glossary: Glossary | None = None,
) -> list[Diagnostic]:
    """Every semantic problem of a dialog. `roles`: declared contact roles (None = not checked);
    `dialog_ids`: the library's dialog ids for `goto` (None = not checked); `dialogs`: the
    library's dialogs by id, whose gotos the guidance rules follow (RD100, RD105);
    `glossary`: the terms to avoid (RD102; None = not checked)."""
    found = _Checker(dialog, roles, dialog_ids).run()
    return found + check_guidance(dialog, dialogs, glossary)


def check_dialog_text(
    data: str | bytes,
    source_name: str = "<dialog>",
    *,
    roles: Collection[str] | None = None,
    dialog_ids: Collection[str] | None = None,
    max_bytes: int = MAX_BYTES,
    dialogs: Mapping[str, Dialog] | None = None,
    glossary: Glossary | None = None,
) -> LoadResult:
    """Load and check; the result's diagnostics hold both loading and checking problems."""
    result = load_dialog_text(data, source_name, max_bytes=max_bytes)
    if result.dialog is not None:
        ids = None if dialog_ids is None else {*dialog_ids, result.dialog.id}
        result.diagnostics.extend(
            check_dialog(
                result.dialog, roles=roles, dialog_ids=ids, dialogs=dialogs, glossary=glossary
            )
        )
    return result
