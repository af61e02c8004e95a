"""The case lifecycle as data: the handover plan (content/lifecycle/handover.yaml) and the
information-sharing categories (content/lifecycle/sharing.yaml). Psychologists edit them.

Loading never raises on bad content: `load_handover_plan(path)` and `load_sharing_rules(path)`
return the value (or None) and every problem found, each `file:line:col: message`, all at once.
`check_lifecycle(folder)` is what `relais dialogs check` runs; `handover_plan(content_dir)` and
`sharing_rules(content_dir)` are what the use cases read, with the content folder of the
configuration (`bot.contentfiles`, the loader of the exit plan too: an edit is picked up
without a restart, a broken edit keeps the last good version running and its problems are
logged; a file never loaded well raises ConfigError naming every problem). A content folder
without `lifecycle/` uses the bundled files.

The texts composed away from any use case (`bot.lifecycle.reminders`: a lifecycle check-in's
reminder and escalation, written by the check-in dispatcher and the check-in buttons, which are
built from `[checkins]` alone and do not carry the configuration) read the content folder in
use, `bot.chat.catalog.content_in_use()`, with its catalog; everything else is given the folder
by its caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from bot.chat.catalog import BUNDLED_CONTENT, LANGUAGES
from bot.contentfiles import loaded, located, read_yaml
from bot.usecases.notes import NOTE_TAGS

__all__ = [
    "ChecklistItem",
    "HandoverPlan",
    "PlanStep",
    "SharingCategory",
    "SharingRules",
    "check_lifecycle",
    "handover_plan",
    "load_handover_plan",
    "load_sharing_rules",
    "sharing_rules",
]

_ID = re.compile(r"[a-z][a-z0-9_]{0,23}")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
HANDOVER_FILE = "handover.yaml"
SHARING_FILE = "sharing.yaml"
#: the furthest a plan step may be from the release date
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One check-in of the handover plan, `days` after the release date."""

    id: str
    days: int
    label: dict[str, str]
    open_items: bool = False

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    label: dict[str, str]

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]


@dataclass(frozen=True, slots=True)
class HandoverPlan:
    at: time
    steps: tuple[PlanStep, ...]
    checklist: tuple[ChecklistItem, ...]

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.checklist if i.id == item_id), None)

    def step(self, step_id: str) -> PlanStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True, slots=True)
class SharingCategory:
    id: str
    label: dict[str, str]
    tags: tuple[str, ...]

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]


@dataclass(frozen=True, slots=True)
class SharingRules:
    categories: tuple[SharingCategory, ...]
    dialogs: tuple[str, ...]
    review_at: time
    review_every_days: int = 7

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def categories_of(self, tags: tuple[str, ...] | list[str]) -> set[str]:
        """The categories a note with these tags falls in."""
        return {c.id for c in self.categories if set(c.tags) & set(tags)}

    def label(self, category: str, lang: str) -> str:
        found = next((c for c in self.categories if c.id == category), None)
        return found.text(lang) if found else category


class _Reader:
    """Walks composed YAML nodes, recording located problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def bad(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append(located(self.path, node, message))

    def mapping(self, node: yaml.Node, what: str, keys: dict[str, bool]) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            self.bad(node, f"{what} must be a mapping")
            return {}
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            if name not in keys:
                self.bad(key, f"unknown key {name!r} in {what} (expected: {', '.join(keys)})")
            elif name in out:
                self.bad(key, f"{name!r} given twice in {what}")
            else:
                out[name] = value
        for name, required in keys.items():
            if required and name not in out:
                self.bad(node, f"{what} needs {name!r}")
        return out

    def seq(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.bad(node, f"{what} must be a non-empty list")
            return []
        return list(node.value)

    def scalar(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.bad(node, f"{what} must be a non-empty text")
            return None
        return str(node.value).strip()

    def ident(self, node: yaml.Node, what: str, seen: set[str]) -> str | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        if not _ID.fullmatch(value):
            self.bad(node, f"{what} {value!r}: [a-z][a-z0-9_]*, at most 24 (it is in buttons)")
            return None
        if value in seen:
            self.bad(node, f"{what} {value!r} is used twice: ids must be unique")
            return None
        seen.add(value)
        return value

    def label(self, node: yaml.Node | None, what: str) -> dict[str, str] | None:
        if node is None:
            return None
        fields = self.mapping(node, what, dict.fromkeys(LANGUAGES, True))
        out = {lang: self.scalar(value, f"{what} ({lang})") for lang, value in fields.items()}
        if len(out) != len(LANGUAGES) or None in out.values():
            return None
        return {lang: str(text) for lang, text in out.items()}

    def clock(self, node: yaml.Node | None, what: str) -> time | None:
        value = self.scalar(node, what) if node is not None else None
        if value is None:
            return None
        if not _HHMM.fullmatch(value):
            self.bad(node, f"{what} must be a local time HH:MM, found {value!r}")
            return None
        return time.fromisoformat(value)

    def version(self, node: yaml.Node | None) -> None:
        if node is not None and self.scalar(node, "version") != "1":
            self.bad(node, "version must be 1")


def _compose(path: Path, reader: _Reader) -> yaml.Node | None:
    found = read_yaml(path)
    reader.problems += found.problems
    return found.root


def load_handover_plan(path: Path) -> tuple[HandoverPlan | None, list[str]]:
    reader = _Reader(path)
    root = _compose(path, reader)
    if root is None:
        return None, reader.problems
    top = reader.mapping(
        root, "the plan", {"version": True, "at": True, "checkins": True, "checklist": True}
    )
    reader.version(top.get("version"))
    at = reader.clock(top.get("at"), "at")
    steps: list[PlanStep] = []
    seen: set[str] = set()
    for node in reader.seq(top["checkins"], "checkins") if "checkins" in top else []:
        fields = reader.mapping(
            node, "a check-in", {"id": True, "days": True, "label": True, "open_items": False}
        )
        step_id = reader.ident(fields["id"], "check-in id", seen) if "id" in fields else None
        days = _days(reader, fields.get("days"))
        label = reader.label(fields.get("label"), "label")
        open_items = _flag(reader, fields.get("open_items"), "open_items")
        if step_id and days is not None and label:
            steps.append(PlanStep(step_id, days, label, open_items))
    items: list[ChecklistItem] = []
    seen = set()
    for node in reader.seq(top["checklist"], "checklist") if "checklist" in top else []:
        fields = reader.mapping(node, "a checklist item", {"id": True, "label": True})
        item_id = reader.ident(fields["id"], "item id", seen) if "id" in fields else None
        label = reader.label(fields.get("label"), "label")
        if item_id and label:
            items.append(ChecklistItem(item_id, label))
    if reader.problems or at is None:
        return None, reader.problems
    return HandoverPlan(at, tuple(sorted(steps, key=lambda s: s.days)), tuple(items)), []


def _days(reader: _Reader, node: yaml.Node | None) -> int | None:
    value = reader.scalar(node, "days") if node is not None else None
    if value is None:
        return None
    try:
        days = int(value)
    except ValueError:
        reader.bad(node, f"days must be a whole number of days, found {value!r}")
        return None
    if abs(days) > MAX_DAYS:
        reader.bad(node, f"days must be within {MAX_DAYS} days of the release, found {days}")
        return None
    return days


def _flag(reader: _Reader, node: yaml.Node | None, what: str) -> bool:
    if node is None:
        return False
    value = reader.scalar(node, what)
    if value not in ("true", "false"):
        reader.bad(node, f"{what} must be true or false")
    return value == "true"


def load_sharing_rules(path: Path) -> tuple[SharingRules | None, list[str]]:
    reader = _Reader(path)
    root = _compose(path, reader)
    if root is None:
        return None, reader.problems
    keys = {
        "version": True,
        "categories": True,
        "dialogs": False,
        "review_reminder_at": True,
        "review_reminder_every_days": True,
    }
    top = reader.mapping(root, "the sharing rules", keys)
    reader.version(top.get("version"))
    at = reader.clock(top.get("review_reminder_at"), "review_reminder_at")
    every = _days(reader, top.get("review_reminder_every_days"))
    if every is not None and not 1 <= every <= 30:
        reader.bad(top.get("review_reminder_every_days"), "review_reminder_every_days: 1 to 30")
    categories: list[SharingCategory] = []
    seen: set[str] = set()
    for node in reader.seq(top["categories"], "categories") if "categories" in top else []:
        fields = reader.mapping(node, "a category", {"id": True, "label": True, "tags": True})
        cid = reader.ident(fields["id"], "category id", seen) if "id" in fields else None
        label = reader.label(fields.get("label"), "label")
        tags: list[str] = []
        for tag_node in reader.seq(fields["tags"], "tags") if "tags" in fields else []:
            tag = reader.scalar(tag_node, "a tag")
            if tag is not None and tag not in NOTE_TAGS:
                reader.bad(tag_node, f"unknown note tag {tag!r} (tags: {' '.join(NOTE_TAGS)})")
            elif tag is not None:
                tags.append(tag)
        if cid and label:
            categories.append(SharingCategory(cid, label, tuple(tags)))
    dialogs: list[str] = []
    if "dialogs" in top:
        for node in reader.seq(top["dialogs"], "dialogs"):
            dialog = reader.ident(node, "dialog id", set(dialogs))
            if dialog:
                dialogs.append(dialog)
    if reader.problems or at is None or every is None:
        return None, reader.problems
    return SharingRules(tuple(categories), tuple(dialogs), at, every), []


def check_lifecycle(folder: Path) -> list[str]:
    """Every problem of the lifecycle files in `folder` (content/lifecycle); none if absent."""
    problems: list[str] = []
    if (folder / HANDOVER_FILE).exists():
        problems += load_handover_plan(folder / HANDOVER_FILE)[1]
    if (folder / SHARING_FILE).exists():
        problems += load_sharing_rules(folder / SHARING_FILE)[1]
    return problems


def _lifecycle_file(content_dir: Path, name: str) -> Path:
    path = content_dir / "lifecycle" / name
    return path if path.exists() else BUNDLED_CONTENT / "lifecycle" / name


def handover_plan(content_dir: Path) -> HandoverPlan:
    return loaded(_lifecycle_file(content_dir, HANDOVER_FILE), load_handover_plan)


def sharing_rules(content_dir: Path) -> SharingRules:
    return loaded(_lifecycle_file(content_dir, SHARING_FILE), load_sharing_rules)
