"""The bounded walk: explore a dialog through the engine and prove every path ends safely.

Breadth-first over engine states: every option, yes and no, and for inputs a few answers built
from the values the dialog's conditions compare with (and their neighbours for numbers), bounded
in states; when the bound is hit, seeded random walks (the same every run) reach further.
The whole walk takes at most `MAX_WALK_STEPS` engine steps (a 5 KB dialog of inputs compared
with many values once took 98 s; 100,000 steps take seconds): past that it stops, and passes
only if every node was seen.
Fails if a path ends anywhere but an end, a contact or a goto handoff, if no answer moves an
input on, or if a node is never visited.
"""

from __future__ import annotations

import random
from collections import deque

from dialogs.engine import step
from dialogs.events import Choose, Ended, Event, Output, Start, Text
from dialogs.expr import literals
from dialogs.library import DialogSource
from dialogs.loader import MAX_INPUT_LENGTH
from dialogs.model import ContactNode, Dialog, EndNode, GotoNode, InputNode, QuestionNode
from dialogs.state import SessionState
from dialogs.transcripts import TEST_CONTEXT, TEST_NOW, CheckOutcome

__all__ = ["MAX_WALK_STATES", "MAX_WALK_STEPS", "walk_dialog"]

MAX_WALK_STATES = 20_000
#: engine steps one walk may take (the bundled `crisis`, which visits every dialog, takes ~41,000)
MAX_WALK_STEPS = 100_000
RANDOM_WALKS = 500
RANDOM_WALK_STEPS = 400
_DEFAULT_ANSWERS = ("test answer", "5", "1", "10", "0", "2025-01-31", "yes", "no")


def _answers(dialog: Dialog) -> list[str]:
    found: set[str] = set()
    for node in dialog.nodes.values():
        exprs = [b.when for b in node.next if b.when is not None]
        if isinstance(node, QuestionNode):
            exprs += [o.when for o in node.options if o.when is not None]
        for expr in exprs:
            for value in literals(expr):
                found.add(value)
                try:
                    number = float(value)
                except ValueError:
                    continue
                for near in (number - 1, number + 1):
                    found.add(str(int(near)) if near.is_integer() else str(near))
        if isinstance(node, InputNode):
            rule = node.validate
            for bound in (rule.min, rule.max):
                if bound is not None:
                    found.add(str(int(bound)) if float(bound).is_integer() else str(bound))
            if rule.min_length:
                found.add("x" * min(max(rule.min_length, 1), MAX_INPUT_LENGTH))
    return sorted(found) + [a for a in _DEFAULT_ANSWERS if a not in found]


def _events(library: DialogSource, state: SessionState, answers: list[str]) -> list[Event]:
    """What a user could do at the state's prompt: every option, yes/no, or the answers."""
    current = library.get(state.dialog_id, state.version)
    node = current.nodes.get(state.node) if current else None
    if isinstance(node, InputNode):
        return [Text(a) for a in answers]
    if isinstance(node, QuestionNode):
        return [Choose(o.id, state.turn) for o in node.options]
    return [Choose("yes", state.turn), Choose("no", state.turn)]


def _key(state: SessionState) -> str:
    data = state.to_dict()
    data.pop("turn")
    return repr(sorted(data.items()))


def walk_dialog(
    library: DialogSource,
    dialog: Dialog,
    *,
    max_states: int = MAX_WALK_STATES,
    max_steps: int = MAX_WALK_STEPS,
) -> CheckOutcome:
    """Explore every path of a dialog (bounded); fail on an unsafe end or an unvisited node."""
    outcome = CheckOutcome(f"{dialog.id}: walk", dialog.loc, True)
    answers = _answers(dialog)
    visited: set[str] = set()
    problems: list[str] = []

    def note_result(
        result_visited: tuple[tuple[str, str], ...], outputs: tuple[Output, ...]
    ) -> None:
        for dialog_id, node_id in result_visited:
            if dialog_id == dialog.id:
                visited.add(node_id)
        for output in outputs:
            if isinstance(output, Ended):
                last = result_visited[-1] if result_visited else None
                node = None
                if last is not None:
                    owner = dialog if last[0] == dialog.id else library.get(last[0])
                    node = owner.nodes.get(last[1]) if owner else None
                if output.reason != "completed" or not isinstance(
                    node, EndNode | ContactNode | GotoNode
                ):
                    where = f"{last[0]}/{last[1]}" if last else "?"
                    problems.append(f"a path ends unsafely at {where} ({output.reason})")

    first = step(
        library,
        None,
        Start(dialog.id, dialog.default_language, TEST_CONTEXT, {}, dialog.version),
        TEST_NOW,
    )
    if first.error is not None or first.state is None:
        outcome.passed = False
        outcome.problems.append(f"cannot start: {first.error.message if first.error else '?'}")
        return outcome
    note_result(first.visited, first.outputs)
    queue: deque[SessionState] = deque([first.state])
    seen = {_key(first.state)}
    bounded = False
    steps = 0
    while queue and not problems and steps < max_steps:
        state = queue.popleft()
        if state.ended:
            continue
        progressed = False
        for event in _events(library, state, answers):
            result = step(library, state, event, TEST_NOW)
            steps += 1
            if result.error is not None or result.state is None:
                continue
            progressed = True
            note_result(result.visited, result.outputs)
            key = _key(result.state)
            if key in seen:
                continue
            if len(seen) >= max_states:
                bounded = True
                continue
            seen.add(key)
            queue.append(result.state)
        if not progressed:
            problems.append(f"stuck at {state.dialog_id}/{state.node}: no choice or answer works")
    # too many states to explore them all: random walks (seeded: the same every run) go deeper
    bounded = bounded or bool(queue)
    rng = random.Random(dialog.id)
    for _ in range(RANDOM_WALKS if bounded else 0):
        if problems or steps >= max_steps or all(n in visited for n in dialog.nodes):
            break
        state = first.state
        for _ in range(RANDOM_WALK_STEPS):
            if state.ended or steps >= max_steps:
                break
            events = _events(library, state, answers)
            rng.shuffle(events)
            for event in events:
                result = step(library, state, event, TEST_NOW)
                steps += 1
                if result.error is None and result.state is not None:
                    note_result(result.visited, result.outputs)
                    state = result.state
                    break
            else:
                problems.append(f"stuck at {state.dialog_id}/{state.node}: no answer works")
                break
    missing = [n for n in dialog.nodes if n not in visited]
    if missing and not bounded:
        problems.append("never visited: " + ", ".join(missing))
    elif missing and steps >= max_steps:
        problems.append(f"never visited within {max_steps:,} steps: " + ", ".join(missing))
    elif missing:
        problems.append(f"never visited within {max_states:,} states: " + ", ".join(missing))
    if problems:
        outcome.passed = False
        outcome.problems = sorted(set(problems))
    return outcome
