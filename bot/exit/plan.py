"""The exit report's plan, as data: `content/exit_report.yaml`.

The six elements of the paper's exit report (id, heading, what to ask, what a good answer
holds, where it comes from), the contact roles that pre-fill "where to get help", and the
post-exit follow-up check-ins offered when a case is closed. Every text in every language of
the catalog. Loading checks everything at once and names each problem by its key path
(`exit_report.yaml: elements[2].hint.fr: missing`); it never half-loads.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.chat.catalog import BUNDLED_CONTENT
from bot.config import parse_duration
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
]

FILE_NAME = "exit_report.yaml"
LANGUAGES = ("en", "fr")
_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
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
    def __init__(self, where: str) -> None:
        self.where = where
        self.found: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.found.append(f"{self.where}: {path}: {message}")

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


def parse_exit_plan(data: Any, where: str) -> tuple[ExitPlan | None, list[str]]:
    """The plan and every problem found (`where: key.path: message`); None when any."""
    problems = _Problems(where)
    if not isinstance(data, dict):
        problems.add("(top)", "expected a mapping with elements, help_roles, follow_up")
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


def check_exit_plan(content_dir: Path, known_roles: set[str] | None = None) -> list[str]:
    """Every problem of `content_dir/exit_report.yaml` (none: it loads)."""
    path = content_dir / FILE_NAME
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"{path}: cannot be read: {exc}"]
    plan, problems = parse_exit_plan(data, str(path))
    if plan is not None and known_roles is not None:
        problems += [
            f"{path}: help_roles: {role!r} is not in contact_roles.yaml"
            for role in plan.help_roles
            if role not in known_roles
        ]
    return problems


def exit_content(content_dir: Path, name: str = FILE_NAME) -> Path:
    """The content folder holding `name` (the plan, or `templates/exit_report.md.j2`): the
    configured one, else the one shipped with Relais (a content folder copied before the exit
    report existed keeps working)."""
    return content_dir if (content_dir / name).exists() else BUNDLED_CONTENT


@functools.lru_cache(maxsize=8)
def load_exit_plan(content_dir: Path) -> ExitPlan:
    """The plan of `content_dir` (read once per process); ConfigError listing every problem."""
    path = exit_content(content_dir) / FILE_NAME
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    plan, problems = parse_exit_plan(data, str(path))
    if plan is None:
        raise ConfigError("; ".join(problems))
    return plan
