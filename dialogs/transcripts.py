"""Transcript tests: files <dialog_id>.test.yaml next to the dialogs, run through the engine.

A transcript says what the bot says, what the user picks or types, and which requests (contacts,
page, note, check-in, end) follow. Each test stops at its first failing step, reported as
file:line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from dialogs.diagnostics import Diagnostic, Loc
from dialogs.durations import parse_duration
from dialogs.engine import step
from dialogs.events import (
    Cancel,
    Choose,
    Ended,
    Event,
    LogNote,
    Output,
    PageContact,
    Say,
    ScheduleCheckin,
    ShowContacts,
    Sos,
    Start,
    Text,
)
from dialogs.library import DialogSource
from dialogs.state import SessionState
from dialogs.yamlsafe import diag, loc_of, parse_yaml

__all__ = [
    "TEST_CONTEXT",
    "TEST_NOW",
    "CheckOutcome",
    "load_transcripts",
    "run_transcript_file",
]

#: a fixed instant: the engine does not use it, and tests must not depend on the clock
TEST_NOW = datetime(2025, 1, 1, tzinfo=UTC)
TEST_CONTEXT = {"practitioner": "Test Mentor", "case": "C-0001"}


@dataclass(slots=True)
class CheckOutcome:
    """One test: a transcript test or the walk of one dialog."""

    name: str
    loc: Loc
    passed: bool
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        lines = [f"{status} {self.name} ({self.loc})"]
        lines.extend(f"    {p}" for p in self.problems)
        return "\n".join(lines)


@dataclass(slots=True)
class _Step:
    action: str
    value: Any
    loc: Loc


@dataclass(slots=True)
class _Transcript:
    name: str
    dialog: str
    lang: str
    vars: dict[str, Any]
    context: dict[str, str]
    steps: list[_Step]
    loc: Loc


def _plain(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {str(_plain(k)): _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    tag = str(node.tag)
    value = str(node.value)
    if tag.endswith(":bool"):
        return value.lower() in ("true", "yes", "on")
    if tag.endswith(":int"):
        return int(value)
    if tag.endswith(":float"):
        return float(value)
    if tag.endswith(":null"):
        return None
    return value


_STEP_KEYS = ("bot", "options", "choose", "text", "expect", "sos", "cancel")
_EXPECT_KEYS = ("contacts", "page", "note", "checkin", "ended")


def load_transcripts(path: str | Path) -> tuple[list[_Transcript], list[Diagnostic]]:
    """Parse a transcript file; problems are RD091 diagnostics (and YAML ones)."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [], [diag(Loc(source), "RD091", f"cannot read: {exc.strerror}")]
    parsed = parse_yaml(data, source)
    if parsed.root is None:
        return [], parsed.diagnostics
    root = parsed.root
    problems: list[Diagnostic] = []

    def bad(node: yaml.Node, message: str) -> None:
        problems.append(diag(loc_of(source, node), "RD091", message))

    if not isinstance(root, yaml.MappingNode):
        bad(root, "a transcript file is a mapping with dialog: and tests:")
        return [], problems
    top = {str(k.value): v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    dialog_id = _plain(top["dialog"]) if "dialog" in top else None
    tests = top.get("tests")
    if not isinstance(dialog_id, str) or not isinstance(tests, yaml.SequenceNode):
        bad(root, "a transcript file needs dialog: <id> and tests: [...]")
        return [], problems
    out: list[_Transcript] = []
    for test in tests.value:
        fields = _plain(test)
        if not isinstance(fields, dict) or not isinstance(fields.get("steps"), list):
            bad(test, "a test needs name: and steps: [...]")
            continue
        steps_node = next(v for k, v in test.value if k.value == "steps")
        steps: list[_Step] = []
        for step_node in steps_node.value:
            item = _plain(step_node)
            if not isinstance(item, dict) or not item:
                bad(step_node, "a step is a mapping such as {choose: option_id}")
                continue
            for key, value in item.items():
                if key not in _STEP_KEYS:
                    bad(step_node, f"unknown step {key!r}; steps: {', '.join(_STEP_KEYS)}")
                elif key == "expect" and (
                    not isinstance(value, dict) or set(value) - set(_EXPECT_KEYS)
                ):
                    bad(step_node, f"expect takes {', '.join(_EXPECT_KEYS)}")
                else:
                    steps.append(_Step(key, value, loc_of(source, step_node)))
        initial = fields.get("vars") or {}
        if not isinstance(initial, dict):
            bad(test, "vars must be a mapping")
            continue
        context = dict(TEST_CONTEXT)
        for key in ("practitioner", "case"):
            if key in initial:
                context[key] = str(initial.pop(key))
        out.append(
            _Transcript(
                name=str(fields.get("name", f"test at line {test.start_mark.line + 1}")),
                dialog=dialog_id,
                lang=str(fields.get("lang", "en")),
                vars=initial,
                context=context,
                steps=steps,
                loc=loc_of(source, test),
            )
        )
    return out, problems


def _texts(outputs: list[Output]) -> list[str]:
    return [o.text for o in outputs if isinstance(o, Say)]


def _last_prompt(outputs: list[Output]) -> Say | None:
    for output in reversed(outputs):
        if isinstance(output, Say) and output.expects is not None:
            return output
    return None


def _names(value: Any) -> list[str]:
    """A word or a list of words, as a list of texts (nothing = an empty list)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _check_expect(expect: Mapping[str, Any], outputs: list[Output]) -> list[str]:
    problems: list[str] = []
    shown = {r for o in outputs if isinstance(o, ShowContacts) for r in o.roles}
    paged = [o.role for o in outputs if isinstance(o, PageContact)]
    notes = [o for o in outputs if isinstance(o, LogNote)]
    checkins = [o for o in outputs if isinstance(o, ScheduleCheckin)]
    ended = any(isinstance(o, Ended) for o in outputs)
    if "contacts" in expect:
        wanted = _names(expect["contacts"])
        missing = [r for r in wanted if r not in shown]
        if missing or (not wanted and shown):
            problems.append(f"expected contacts {wanted}, shown {sorted(shown)}")
    if "page" in expect:
        wanted = expect["page"]
        if isinstance(wanted, bool):
            ok = bool(paged) == wanted
        else:
            ok = sorted(_names(wanted)) == sorted(paged)
        if not ok:
            problems.append(f"expected page {wanted!r}, paged {paged}")
    if "note" in expect:
        wanted = expect["note"]
        if isinstance(wanted, bool):
            if wanted != bool(notes):
                problems.append(f"expected note: {wanted}, notes logged: {len(notes)}")
        elif not any(str(wanted).lower() in n.body.lower() for n in notes):
            problems.append(
                f"expected a note containing {wanted!r}, got {[n.body for n in notes]}"
            )
    if "checkin" in expect:
        wanted = expect["checkin"]
        if isinstance(wanted, bool):
            if wanted != bool(checkins):
                problems.append(f"expected checkin: {wanted}, scheduled: {len(checkins)}")
        else:
            after = parse_duration(str(wanted))
            if not any(c.after == after for c in checkins):
                problems.append(
                    f"expected a check-in after {wanted}, got {[str(c.after) for c in checkins]}"
                )
    if "ended" in expect and bool(expect["ended"]) != ended:
        problems.append(f"expected ended: {expect['ended']}, ended: {ended}")
    return problems


def _run_transcript(library: DialogSource, test: _Transcript) -> CheckOutcome:
    outcome = CheckOutcome(f"{test.dialog}: {test.name}", test.loc, True)
    result = step(library, None, Start(test.dialog, test.lang, test.context, test.vars), TEST_NOW)
    if result.error is not None:
        outcome.passed = False
        outcome.problems.append(f"cannot start {test.dialog!r}: {result.error.message}")
        return outcome
    state: SessionState | None = result.state
    since: list[Output] = list(result.outputs)
    prompt = _last_prompt(since)
    for item in test.steps:
        problems: list[str] = []
        event: Event | None = None
        if item.action == "bot":
            needle = str(item.value).lower()
            if not any(needle in t.lower() for t in _texts(since)):
                shown = " | ".join(_texts(since)) or "nothing"
                problems.append(f"the bot did not say {item.value!r}; it said: {shown[:300]}")
        elif item.action == "options":
            offered = [o.id for o in prompt.options] if prompt else []
            if offered != _names(item.value):
                problems.append(f"expected options {item.value}, offered {offered}")
        elif item.action == "expect":
            try:
                problems.extend(_check_expect(item.value, since))
            except (TypeError, ValueError) as exc:
                problems.append(f"expect {item.value!r} is not understood: {exc}")
        elif item.action == "choose":
            event = Choose(str(item.value), state.turn if state else 0)
        elif item.action == "text":
            event = Text(str(item.value))
        elif item.action == "sos" and item.value:
            event = Sos()
        elif item.action == "cancel" and item.value:
            event = Cancel()
        if event is not None:
            result = step(library, state, event, TEST_NOW)
            if result.error is not None:
                problems.append(f"{item.action} {item.value!r} refused: {result.error.message}")
            state = result.state
            since = list(result.outputs)
            prompt = _last_prompt(since) or prompt
            if isinstance(event, Cancel):
                prompt = None
        if problems:
            outcome.passed = False
            outcome.problems.extend(f"{item.loc}: {p}" for p in problems)
            break
    return outcome


def run_transcript_file(library: DialogSource, path: str | Path) -> list[CheckOutcome]:
    tests, problems = load_transcripts(path)
    outcomes = [CheckOutcome(f"{Path(path).name}: file", d.loc, False, [str(d)]) for d in problems]
    outcomes.extend(_run_transcript(library, test) for test in tests)
    return outcomes
