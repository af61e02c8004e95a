"""The exit report's plan, as data: `content/exit_report.yaml`.

The six elements of the paper's exit report (id, heading, what to ask, what a good answer
holds, where it comes from), the contact roles that pre-fill "where to get help", and the
post-exit follow-up check-ins offered when a case is closed. Every text in every language of
the catalog. Reading checks everything at once and names each problem by its place and key
path (`exit_report.yaml:14:7: elements[2].hint.fr: missing`); it never half-loads.
`load_exit_plan(content_dir)` is what the running bot reads (`bot.contentfiles`: an edit is
picked up without a restart; a broken edit keeps the last good plan running, its problems
logged); `check_exit_plan` is what `relais dialogs check` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.chat.catalog import BUNDLED_CONTENT
from bot.config import parse_duration
from bot.contentfiles import loaded, located, read_yaml
from bot.errors import ConfigError

__all__ = [
    "FILE_NAME",
    "LANGUAGES",
    "ExitElement",
    "ExitPlan",
    "FollowUpStep",
    "check_exit_plan",
    "exit_content",
    "load_exit_plan",
    "read_exit_plan",
]

FILE_NAME = "exit_report.yaml"
ROLES_FILE = "contact_roles.yaml"
LANGUAGES = ("en", "fr")
_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
#: the last step of a key path (`.hint`, `[2]`)
_PARENT = re.compile(r"(\.[^.\[]*|\[\d+\])$")
_AT = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
#: the longest text of the plan (a hint is a few lines)
_MAX_TEXT = 1_000
#: a follow-up step must fall within this (the check-ins' own bound for a one-off)
_MAX_AFTER = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class ExitElement:
    id: str
    label: dict[str, str]
    prompt: dict[str, str]
    hint: dict[str, str]
    source: str
    #: "contacts": the answer is offered pre-filled from the contacts directory
    prefill: str = ""


@dataclass(frozen=True, slots=True)
class FollowUpStep:
    after: timedelta
    label: dict[str, str]


@dataclass(frozen=True, slots=True)
class ExitPlan:
    elements: tuple[ExitElement, ...]
    help_roles: tuple[str, ...]
    follow_up: tuple[FollowUpStep, ...]
    follow_up_at: time

    def element(self, element_id: str) -> ExitElement | None:
        return next((e for e in self.elements if e.id == element_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.elements)


class _Problems:
    """Problems by key path (`elements[2].hint.fr`), placed at the line of that key (or of
    the nearest one the file has, for a missing key) when the file's nodes are known."""

    def __init__(self, where: str, places: dict[str, yaml.Node] | None = None) -> None:
        self.where = where
        self.places = places or {}
        self.found: list[str] = []

    def add(self, path: str, message: str) -> None:
        if not self.places:
            self.found.append(f"{self.where}: {path}: {message}")
            return
        near = path
        while near not in self.places and near:
            near = _PARENT.sub("", near)
        self.found.append(located(Path(self.where), self.places.get(near), f"{path}: {message}"))

    def texts(self, value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            self.add(path, f"expected texts by language ({', '.join(LANGUAGES)})")
            return {}
        out: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.add(f"{path}.{lang}", "missing (every text in English and French)")
            elif len(text) > _MAX_TEXT:
                self.add(f"{path}.{lang}", f"longer than {_MAX_TEXT} characters")
            else:
                out[lang] = text.strip()
        for extra in sorted(set(value) - set(LANGUAGES), key=str):
            self.add(f"{path}.{extra}", f"unknown language (expected {', '.join(LANGUAGES)})")
        return out

    def keys(self, value: dict[str, Any], path: str, allowed: set[str]) -> None:
        for key in sorted(set(value) - allowed, key=str):
            self.add(f"{path}.{key}" if path else str(key), "unknown key")


def _element(raw: Any, path: str, problems: _Problems) -> ExitElement | None:
    if not isinstance(raw, dict):
        problems.add(path, "expected a mapping with id, label, prompt, hint, source")
        return None
    problems.keys(raw, path, {"id", "label", "prompt", "hint", "source", "prefill"})
    element_id = raw.get("id")
    if not isinstance(element_id, str) or not _ID.fullmatch(element_id):
        problems.add(f"{path}.id", "expected an id such as residual_risk ([a-z][a-z0-9_]*)")
        element_id = ""
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.add(f"{path}.source", "say where this element comes from (the paper's words)")
        source = ""
    prefill = raw.get("prefill", "")
    if prefill not in ("", "contacts"):
        problems.add(f"{path}.prefill", f"expected contacts, found {prefill!r}")
        prefill = ""
    return ExitElement(
        id=element_id,
        label=problems.texts(raw.get("label"), f"{path}.label"),
        prompt=problems.texts(raw.get("prompt"), f"{path}.prompt"),
        hint=problems.texts(raw.get("hint"), f"{path}.hint"),
        source=source.strip(),
        prefill=prefill,
    )


def _follow_up(raw: Any, problems: _Problems) -> tuple[tuple[FollowUpStep, ...], time]:
    if not isinstance(raw, dict):
        problems.add("follow_up", "expected a mapping with at, steps and source")
        return (), time(10, 0)
    problems.keys(raw, "follow_up", {"at", "steps", "source"})
    at = raw.get("at", "10:00")
    if not isinstance(at, str) or not _AT.fullmatch(at):
        problems.add("follow_up.at", f"expected a time HH:MM, found {at!r}")
        at = "10:00"
    steps: list[FollowUpStep] = []
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list):
        problems.add("follow_up.steps", "expected a list of {after, label}")
        raw_steps = []
    for index, step in enumerate(raw_steps):
        path = f"follow_up.steps[{index}]"
        if not isinstance(step, dict):
            problems.add(path, "expected a mapping with after and label")
            continue
        problems.keys(step, path, {"after", "label"})
        try:
            after = parse_duration(str(step.get("after", "")), f"{path}.after")
        except ConfigError as exc:
            problems.add(f"{path}.after", str(exc).split(": ", 1)[-1])
            continue
        if not timedelta(days=1) <= after <= _MAX_AFTER:
            problems.add(f"{path}.after", "expected between 1d and 366d after the exit")
            continue
        steps.append(FollowUpStep(after, problems.texts(step.get("label"), f"{path}.label")))
    return tuple(steps), time(int(at[:2]), int(at[3:]))


def parse_exit_plan(
    data: Any, where: str, places: dict[str, yaml.Node] | None = None
) -> tuple[ExitPlan | None, list[str]]:
    """The plan and every problem found (`where: key.path: message`, or `where:line:col:
    key.path: message` with the `places` of the file's keys); None when any."""
    problems = _Problems(where, places)
    if not isinstance(data, dict):
        problems.add("", "expected a mapping with elements, help_roles, follow_up")
        return None, problems.found
    problems.keys(data, "", {"elements", "help_roles", "follow_up"})
    raw_elements = data.get("elements")
    if not isinstance(raw_elements, list) or not raw_elements:
        problems.add("elements", "expected the list of the report's elements")
        raw_elements = []
    elements = [_element(raw, f"elements[{i}]", problems) for i, raw in enumerate(raw_elements)]
    ids = [e.id for e in elements if e is not None and e.id]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.add("elements", f"the id {duplicate!r} is used twice")
    roles = data.get("help_roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        problems.add("help_roles", "expected a list of contact roles")
        roles = []
    steps, at = _follow_up(data.get("follow_up"), problems)
    if problems.found:
        return None, problems.found
    plan = ExitPlan(
        elements=tuple(e for e in elements if e is not None),
        help_roles=tuple(roles),
        follow_up=steps,
        follow_up_at=at,
    )
    return plan, []


def _places(node: yaml.Node, path: str, into: dict[str, yaml.Node]) -> dict[str, yaml.Node]:
    """Every key path of the file and the node it starts at (a mapping's key: its key)."""
    into[path] = node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            child = f"{path}.{name}" if path else name
            _places(value, child, into)
            into[child] = key
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _places(item, f"{path}[{index}]", into)
    return into


def read_exit_plan(path: Path) -> tuple[ExitPlan | None, list[str]]:
    """The plan in `path` and every problem found, each `file:line:col: key.path: message`."""
    plan, problems, _places = _read(path)
    return plan, problems


def _read(path: Path) -> tuple[ExitPlan | None, list[str], dict[str, yaml.Node]]:
    found = read_yaml(path)
    if found.root is None:
        return None, found.problems, {}
    places = _places(found.root, "", {})
    plan, problems = parse_exit_plan(found.data, str(path), places)
    return plan, problems, places


def check_exit_plan(content_dir: Path, known_roles: set[str] | None = None) -> list[str]:
    """Every problem of `content_dir/exit_report.yaml` (none: it loads), and each of its
    `help_roles` that `contact_roles.yaml` (`known_roles`) does not have."""
    path = content_dir / FILE_NAME
    plan, problems, places = _read(path)
    if plan is not None and known_roles is not None:
        problems += [
            located(path, places["help_roles"], f"help_roles: {role!r} is not in {ROLES_FILE}")
            for role in plan.help_roles
            if role not in known_roles
        ]
    return problems


def exit_content(content_dir: Path, name: str = FILE_NAME) -> Path:
    """The content folder holding `name` (the plan, or `templates/exit_report.md.j2`): the
    configured one, else the one shipped with Relais (a content folder copied before the exit
    report existed keeps working)."""
    return content_dir if (content_dir / name).exists() else BUNDLED_CONTENT


def load_exit_plan(content_dir: Path) -> ExitPlan:
    """The plan of `content_dir` as its file now is (read again when it changes; a broken
    edit keeps the last good plan); ConfigError listing every problem when it never loaded."""
    return loaded(exit_content(content_dir) / FILE_NAME, read_exit_plan)
