"""The walk is bounded in engine steps, not only in states: a small dialog whose inputs are
compared with many values once kept `relais dialogs test` (and a chat upload) busy for 98 s."""

from __future__ import annotations

import time

from dialogs import Library
from dialogs.testing import walk_dialog
from dialogs.walk import MAX_WALK_STEPS
from tests.dialogs.helpers import check, load


def _many_paths(inputs: int, values: int) -> str:
    nodes = []
    for i in range(inputs):
        after = f"q{i + 1}" if i + 1 < inputs else "done"
        branches = ", ".join(f'{{when: "v{i} == {j}", to: {after}}}' for j in range(values))
        nodes.append(
            f'  q{i}:\n    kind: input\n    text: "Q{i} {{{{ v{i} }}}}"\n    var: v{i}\n'
            f"    next: [{branches}, {{to: {after}}}]\n"
        )
    return (
        "id: many\ntitle: Many\nstart: q0\nnodes:\n"
        + "".join(nodes)
        + '  done: {kind: end, text: "bye"}\n'
    )


def test_a_walk_stops_at_its_step_budget_and_says_so() -> None:
    library = Library()
    dialog = library.add(load(_many_paths(6, 30), "many.yaml"))
    started = time.perf_counter()
    outcome = walk_dialog(library, dialog, max_steps=3_000)
    assert time.perf_counter() - started < 10
    assert not outcome.passed
    assert any("within 3,000 steps" in problem for problem in outcome.problems)


def test_the_budget_leaves_room_for_a_dialog_that_visits_every_other() -> None:
    assert MAX_WALK_STEPS >= 2 * 41_168  # the bundled crisis dialog's walk (it gotos everywhere)
    library = Library()
    dialog = library.add(load(_many_paths(2, 3), "many.yaml"))
    assert walk_dialog(library, dialog, max_steps=MAX_WALK_STEPS).passed


def test_input_lengths_are_bounded_at_load() -> None:
    """The walk types an answer of `min_length` characters: 2,000,000,000 was 2 GB of memory
    while a draft was merely checked."""
    text = (
        "id: big\ntitle: Big\nstart: a\nnodes:\n  a:\n    kind: input\n    text: Name?\n"
        "    var: n\n    validate: {min_length: 2000000000, max_length: 70000}\n    next: done\n"
        "  done: {kind: end}\n"
    )
    found = {(d.code, d.loc.line, d.message) for d in check(text, "big.yaml")}
    assert ("RD045", 9, "min_length is at most 65,536") in found
    assert ("RD045", 9, "max_length is at most 65,536") in found
