"""Engine throughput: steps per second on a generated 1,000-node dialog, one core.

Target: >= 50,000 steps/s. Run: .venv/bin/python bench/bench_engine.py
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialogs import Choose, Library, Say, Start, Text, load_dialog_text, step

TARGET = 50_000


def generate(nodes: int = 1000) -> str:
    """A bilingual dialog written the way authors write them (block style), with a mix of
    kinds: messages, questions (2-3 options, some conditional), number inputs with
    branches, contacts, note and check-in offers, ending in an end node."""
    out = [
        "id: bench",
        "title: {en: Bench, fr: Banc}",
        "languages: [en, fr]",
        "tags: [routine]",
        "start: n0",
        "nodes:",
    ]
    kinds = ("question", "message", "input", "question", "message", "contact", "question",
             "message", "note", "question", "checkin", "message")  # fmt: skip
    for i in range(nodes - 1):
        kind = kinds[i % len(kinds)]
        nxt = f"n{i + 1}"
        skip = f"n{min(i + 2, nodes - 1)}"
        name = " {{ practitioner }}" if i % 10 == 0 else ""
        out += [
            f"  n{i}:",
            f"    kind: {kind}",
            "    text:",
            f'      en: "Step {i}{name}: stay calm and listen to what the person says."',
            f'      fr: "Étape {i} : restez calme et écoutez ce que dit la personne."',
        ]
        if kind == "question":
            out += [
                "    options:",
                "      - id: go",
                "        label: {en: Go on, fr: Continuer}",
                f"        next: {nxt}",
                "      - id: skip",
                "        label: {en: Skip, fr: Passer}",
                f"        next: {skip}",
                '        when: "defined(v2) and v2 > 3"',
            ]
            if i % 3 == 0:
                out += [
                    "      - id: help",
                    "        label: {en: Get help, fr: Aide}",
                    f"        next: {skip}",
                ]
        elif kind == "input":
            out += [
                f"    var: v{i}",
                "    validate: {type: number, min: 0, max: 100}",
                "    next:",
                f'      - when: "v{i} > 50"',
                f"        to: {nxt}",
                f"      - to: {nxt}",
            ]
        elif kind == "contact":
            out += ["    roles: [on_call_psychologist]", f"    next: {nxt}"]
        elif kind == "note":
            out += [
                '    body: "note by {{ practitioner }}"',
                "    tags: [progress]",
                f"    next: {nxt}",
            ]
        elif kind == "checkin":
            out += ["    after: 24h", f"    next: {nxt}"]
        else:
            out.append(f"    next: {nxt}")
    out += [f"  n{nodes - 1}:", "    kind: end", "    text: {en: Done, fr: Fini}"]
    return "\n".join(out) + "\n"


def main() -> None:
    result = load_dialog_text(generate(), "bench.yaml")
    assert result.dialog is not None, [str(d) for d in result.diagnostics]
    library = Library([result.dialog])
    now = datetime(2025, 1, 1, tzinfo=UTC)
    steps = 0
    runs = 0
    deadline = time.process_time() + 3.0
    started = time.perf_counter()
    cpu_started = time.process_time()
    while time.process_time() < deadline:
        outcome = step(library, None, Start("bench", "en", {"practitioner": "Ana"}), now)
        steps += 1
        runs += 1
        state = outcome.state
        while state is not None and not state.ended:
            prompt = next(o for o in reversed(outcome.outputs) if isinstance(o, Say))
            if prompt.expects == "text":
                event: Choose | Text = Text("42")
            else:
                event = Choose(prompt.options[0].id, prompt.turn)
            outcome = step(library, state, event, now)
            assert outcome.error is None, outcome.error
            state = outcome.state
            steps += 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    rate = steps / cpu
    verdict = "OK" if rate >= TARGET else "BELOW TARGET"
    print(f"engine: 1,000-node dialog, {runs} runs, {steps:,} steps")
    print(f"engine: {rate:,.0f} steps/s of CPU time on one core (target >= {TARGET:,}) {verdict}")
    print(f"engine: {steps / elapsed:,.0f} steps/s wall clock (lower if the machine is busy)")


if __name__ == "__main__":
    main()
