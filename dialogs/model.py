"""The dialog model: what the loader builds from YAML and the engine runs.

Frozen slotted dataclasses. Every object keeps where it came from (`loc`) and where each of its
keys' values came from (`locs`), so that the checker can point at the exact line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from dialogs.diagnostics import Loc
from dialogs.expr import Expr
from dialogs.templates import is_template

__all__ = [
    "CONTEXT_VARIABLES",
    "NODE_KINDS",
    "Branch",
    "CheckinNode",
    "ContactNode",
    "Dialog",
    "EndNode",
    "GotoNode",
    "InputNode",
    "MessageNode",
    "Node",
    "NoteNode",
    "Option",
    "QuestionNode",
    "Text",
    "Validation",
]

NODE_KINDS = ("message", "question", "input", "contact", "note", "checkin", "goto", "end")
#: variables every template and condition may use without an input node setting them
CONTEXT_VARIABLES = frozenset({"practitioner", "case", "lang"})


@dataclass(frozen=True, slots=True)
class Text:
    """A text per language; `plain` means it was written as a plain string (default language)."""

    values: Mapping[str, str]
    loc: Loc
    plain: bool = False
    locs: Mapping[str, Loc] = field(default_factory=dict)
    #: some value holds `{{`, `{%` or `{#` (computed: the engine skips Jinja otherwise)
    has_template: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_template", any(map(is_template, self.values.values())))

    def get(self, lang: str, default_lang: str) -> str:
        value = self.values.get(lang)
        if value is None:
            value = self.values.get(default_lang)
        if value is None:
            value = next(iter(self.values.values()), "")
        return value


@dataclass(frozen=True, slots=True)
class Branch:
    """One way on: `to` a node id, if `when` holds (None = always)."""

    to: str
    loc: Loc
    when: Expr | None = None
    when_source: str = ""
    when_loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: Text | None
    next: str
    loc: Loc
    when: Expr | None = None
    when_source: str = ""
    locs: Mapping[str, Loc] = field(default_factory=dict)
    #: `risk: true`: choosing it means someone may be in danger (the checker, RD100, requires
    #: that every path from it reaches a page or an emergency contact within a few screens)
    risk: bool = False


@dataclass(frozen=True, slots=True)
class Validation:
    type: Literal["text", "number", "date"] = "text"
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    id: str
    kind: str
    loc: Loc
    text: Text | None = None
    next: tuple[Branch, ...] = ()
    locs: Mapping[str, Loc] = field(default_factory=dict)
    #: where this node's guidance comes from (more precise than the dialog's `source`; e.g.
    #: "general practice, not from the paper"); empty = the dialog's source
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageNode(Node):
    kind: str = "message"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionNode(Node):
    kind: str = "question"
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InputNode(Node):
    kind: str = "input"
    var: str = ""
    validate: Validation = field(default_factory=Validation)
    error: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactNode(Node):
    kind: str = "contact"
    roles: tuple[str, ...] = ()
    page: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteNode(Node):
    kind: str = "note"
    body: Text | None = None
    tags: tuple[str, ...] = ()
    yes: Text | None = None
    no: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckinNode(Node):
    kind: str = "checkin"
    after: timedelta = timedelta(hours=24)
    label: Text | None = None
    yes: Text | None = None
    no: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GotoNode(Node):
    kind: str = "goto"
    dialog: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EndNode(Node):
    kind: str = "end"


@dataclass(frozen=True, slots=True)
class Dialog:
    id: str
    title: Text
    start: str
    nodes: Mapping[str, Node]
    loc: Loc
    languages: tuple[str, ...] = ("en",)
    summary: Text | None = None
    audience: tuple[str, ...] = ()
    #: team names it is limited to (publishing); empty = the whole organisation
    teams: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    status: str = "draft"
    reviewed_by: str = ""
    version: int = 1
    locs: Mapping[str, Loc] = field(default_factory=dict)
    #: the YAML text it was loaded from (publishing stores it; empty if built in code)
    source_text: str = field(default="", repr=False, compare=False)

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "en"

    def with_version(self, version: int) -> Dialog:
        return replace(self, version=version)

    def source_digest(self) -> str:
        """What identifies the text it was loaded from (a preview checks its draft is
        unchanged with it)."""
        return hashlib.sha256(self.source_text.encode()).hexdigest()
