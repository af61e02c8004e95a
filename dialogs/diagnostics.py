"""Coded diagnostics: what the loader and the checker report, located as file:line:col.

Every problem has a stable code (``RD001``...), a severity and a hint. The table `CODES` is the
reference the content guide (content/README.md) reproduces; never renumber a code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

__all__ = [
    "CODES",
    "CodeInfo",
    "Diagnostic",
    "Loc",
    "Severity",
    "codes_markdown",
    "has_errors",
    "sort_diagnostics",
]

Severity = Literal["error", "warning"]


class Loc(NamedTuple):
    """A place in a source file; line and col are 1-based (0 = unknown). An immutable value
    (a named tuple rather than a dataclass: the loader makes tens of thousands of them)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    severity: Severity
    title: str
    fix: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    loc: Loc
    code: str
    severity: Severity
    message: str
    hint: str = ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.loc}: {self.code} {self.severity}: {self.message}{hint}"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.loc.file,
            "line": self.loc.line,
            "col": self.loc.col,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


def _c(code: str, severity: Severity, title: str, fix: str) -> CodeInfo:
    return CodeInfo(code, severity, title, fix)


#: code -> (severity, title, what to do). Stable: codes are never renumbered or reused.
CODES: dict[str, CodeInfo] = {
    c.code: c
    for c in (
        _c(
            "RD001",
            "error",
            "YAML syntax error",
            "Fix the indentation or quoting at the place shown; quote texts that contain ': ' or"
            " start with a special character.",
        ),
        _c(
            "RD002",
            "error",
            "File too large",
            "Split the dialog into smaller dialogs joined with `goto` nodes.",
        ),
        _c(
            "RD003",
            "error",
            "Not a UTF-8 text file",
            "Save the file as UTF-8 text (not a word-processor document).",
        ),
        _c(
            "RD004",
            "error",
            "YAML anchors and aliases are not allowed",
            "Write the text out in full instead of using &anchor / *alias.",
        ),
        _c(
            "RD005",
            "error",
            "File too deeply nested or too big a structure",
            "Simplify the file: a dialog needs only a few levels of nesting.",
        ),
        _c(
            "RD006",
            "error",
            "Not a dialog document",
            "A dialog file holds one YAML mapping with id, title, start and nodes.",
        ),
        _c(
            "RD010",
            "error",
            "Unknown key",
            "Remove the key or fix its spelling (see the hint).",
        ),
        _c(
            "RD011",
            "error",
            "Missing required key",
            "Add the key named in the message.",
        ),
        _c(
            "RD012",
            "error",
            "Wrong type of value",
            "Give the kind of value the message asks for (text, list, mapping, number, "
            "true/false).",
        ),
        _c(
            "RD013",
            "error",
            "Invalid identifier",
            "Ids use lower-case letters, digits and underscores and start with a letter.",
        ),
        _c(
            "RD014",
            "warning",
            "Dialog id differs from the file name",
            "Name the file <id>.yaml.",
        ),
        _c(
            "RD015",
            "error",
            "Duplicate key",
            "Each key appears once in a mapping; remove or rename the second one.",
        ),
        _c(
            "RD016",
            "error",
            "Invalid value",
            "Use one of the values listed in the hint.",
        ),
        _c(
            "RD020",
            "error",
            "Duplicate node id",
            "Give every node a different id.",
        ),
        _c(
            "RD021",
            "error",
            "Duplicate option id",
            "Give every option of a question a different id.",
        ),
        _c(
            "RD022",
            "error",
            "Duplicate dialog id",
            "Two files declare the same dialog id; rename one.",
        ),
        _c(
            "RD023",
            "error",
            "Start node does not exist",
            "Set `start` to the id of a node of this dialog.",
        ),
        _c(
            "RD024",
            "error",
            "Target node does not exist",
            "Point `next`/`to` at an existing node id (see the hint for a close match).",
        ),
        _c(
            "RD025",
            "error",
            "Goto target dialog does not exist",
            "Use the id of a dialog of the library, or add that dialog.",
        ),
        _c(
            "RD030",
            "warning",
            "Unreachable node",
            "Link the node from another node, or delete it.",
        ),
        _c(
            "RD031",
            "error",
            "Dead end",
            "Give the node a `next`, or end the path with an `end` node (or a contact or goto).",
        ),
        _c(
            "RD032",
            "error",
            "Cycle with no way out",
            "Add an option or branch that leaves the loop toward an end, a contact or a goto.",
        ),
        _c(
            "RD033",
            "warning",
            "Branches without a default",
            "Make the last branch of `next` (or one option) unconditional so a way on always "
            "exists.",
        ),
        _c(
            "RD040",
            "error",
            "Template does not parse",
            "Fix the {{ ... }} or {% ... %} syntax in the text.",
        ),
        _c(
            "RD041",
            "error",
            "Undefined variable in a template",
            "Use a variable set by an input node (`var:`) or practitioner, case, lang.",
        ),
        _c(
            "RD042",
            "error",
            "Condition does not parse",
            "Write conditions like: risk == 'high' and not defined(name).",
        ),
        _c(
            "RD043",
            "error",
            "Undefined variable in a condition",
            "Use a variable set by an input node (`var:`) or practitioner, case, lang.",
        ),
        _c(
            "RD044",
            "error",
            "Invalid duration",
            "Write a duration such as 30m, 2h, 1d or 7d.",
        ),
        _c(
            "RD045",
            "error",
            "Invalid validation rule",
            "Use min_length, max_length, pattern, type (text|number|date), min, max.",
        ),
        _c(
            "RD050",
            "error",
            "Missing text in the default language",
            "Give the text in the dialog's first language.",
        ),
        _c(
            "RD051",
            "warning",
            "Missing translation",
            "Add the text in every language listed in `languages`.",
        ),
        _c(
            "RD052",
            "warning",
            "Text in an undeclared language",
            "Add the language to `languages` or remove the text.",
        ),
        _c(
            "RD060",
            "warning",
            "Button label too long",
            "Keep option labels to 40 characters or less: phones cut longer buttons.",
        ),
        _c(
            "RD061",
            "error",
            "Button payload too long",
            "Shorten the option id: the button token must fit in 64 bytes.",
        ),
        _c(
            "RD062",
            "error",
            "Message too long",
            "Keep a text under 4,096 characters; split it over several message nodes.",
        ),
        _c(
            "RD070",
            "error",
            "Unknown contact role",
            "Use a role declared in content/contact_roles.yaml.",
        ),
        _c(
            "RD071",
            "error",
            "Crisis dialog without emergency contacts on its first screen",
            "The start node of a crisis dialog is a question with an option leading directly to "
            "a contact node with role `emergency`.",
        ),
        _c(
            "RD080",
            "warning",
            "Published without a reviewer",
            "Set `reviewed_by` to the clinician who reviewed the content.",
        ),
        _c(
            "RD090",
            "error",
            "Invalid contact roles file",
            "Fix content/contact_roles.yaml: roles: {id: {label: {en, fr}, description: {en, "
            "fr}}}.",
        ),
        _c(
            "RD091",
            "error",
            "Invalid transcript file",
            "A transcript holds dialog: <id> and tests: [{name, steps: [...]}].",
        ),
        # -- guidance a clinician would sign (dialogs/guidance.py, dialogs/glossary.py) --
        _c(
            "RD100",
            "error",
            "A risk option does not lead to help in time",
            "Every path from an option marked `risk: true` must reach, at the latest on the 3rd "
            "screen after it, a contact node with `page: true` or with the `emergency` role "
            "(gotos are followed). Put the contact node right after the option, or shorten the "
            "path; no path may end first.",
        ),
        _c(
            "RD101",
            "warning",
            "First screen too long to read mid-crisis",
            "Keep the text of a dialog's first screen to 60 words or less in every language: "
            "move explanations after the choice, not before it.",
        ),
        _c(
            "RD102",
            "warning",
            "Term to avoid (glossary)",
            "Replace the term with the one content/glossary.yaml suggests (see the hint).",
        ),
        _c(
            "RD103",
            "error",
            "Invalid glossary file",
            "Fix content/glossary.yaml: per language (en:, fr:) a list of {avoid, use, why, "
            "audience}; `avoid` is required, `audience` lists dialog audience roles.",
        ),
        _c(
            "RD104",
            "warning",
            "Hard-coded emergency number",
            "Say 'call emergency services' and add a contact node with the `emergency` role: "
            "the number comes from the contacts directory.",
        ),
        _c(
            "RD105",
            "warning",
            "Goto into a dialog with a narrower audience",
            "Some roles may open this dialog but not the goto's target, and will not enter it: "
            "widen the target's `audience`, or narrow this dialog's.",
        ),
        # -- template and pattern safety (dialogs/template_rules.py, dialogs/patterns.py) --
        _c(
            "RD120",
            "error",
            "Template statement not allowed",
            "Dialog texts choose with {% if %}/{% elif %}/{% else %}/{% endif %} only: no for, "
            "set, macro, include, call, block. Write the text out, or branch with `next:`.",
        ),
        _c(
            "RD121",
            "error",
            "Template expression not allowed",
            "No arithmetic (* ** + - / // %), no ~, no attribute or item access (. [ ]), no "
            "function or method call: insert a variable as it is ({{ name }}) or with a filter.",
        ),
        _c(
            "RD122",
            "error",
            "Template filter or test not allowed",
            "Filters: default, upper, lower, capitalize, title, trim, truncate, length; tests: "
            "is defined, is undefined, is none.",
        ),
        _c(
            "RD123",
            "error",
            "Template literal too long",
            "Inside {{ }} and {% %}: quoted texts of at most 200 characters, numbers of at most "
            "15 digits, lists of at most 50 items. Write long texts outside the tags.",
        ),
        _c(
            "RD124",
            "error",
            "Template too large or too deeply nested",
            "Split the text: at most 8,192 characters, 2,000 template parts, 40 levels.",
        ),
        _c(
            "RD125",
            "error",
            "Answer pattern not allowed",
            "Patterns run on a linear-time engine (RE2): no backreferences (\\1), lookarounds "
            "((?=, (?!, (?<=), atomic or possessive groups; repeats at most {1000}. \\w \\d \\s "
            "are ASCII: use \\pL for any letter.",
        ),
    )
}


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.loc.file, d.loc.line, d.loc.col, d.code))


def codes_markdown() -> str:
    """The code table as Markdown, for the content guide."""
    lines = ["| code | severity | problem | what to do |", "|---|---|---|---|"]
    for info in CODES.values():
        lines.append(f"| {info.code} | {info.severity} | {info.title} | {info.fix} |")
    return "\n".join(lines)
