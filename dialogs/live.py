"""Live diagnostics for an editor: a dialog text checked as the whole library would see it.

`check_in_library(text, ...)` loads the text and runs the checker with the library's other
dialogs (goto targets, the risk paths and audiences that follow gotos), the declared contact
roles and the glossary: what publishing's `check_draft` runs on a submitted draft. Each
diagnostic comes with its code's title and what to do (`dialogs.diagnostics.CODES`), ready for
a page. `schema_help(schema)` gives the JSON Schema's description of each key.

Fast enough to run on each pause in typing: one load and one check of one dialog (the library's
dialogs are already loaded).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.checker import check_dialog
from dialogs.diagnostics import CODES, Diagnostic, has_errors, sort_diagnostics
from dialogs.glossary import Glossary
from dialogs.loader import load_dialog_text
from dialogs.model import Dialog
from dialogs.yamlsafe import MAX_BYTES

__all__ = ["LiveCheck", "LiveDiagnostic", "check_in_library", "schema_help"]


@dataclass(frozen=True, slots=True)
class LiveDiagnostic:
    """A diagnostic as an editor shows it: where (line 0 = the file as a whole, or another
    dialog of the library), what, and what to do."""

    code: str
    severity: str
    line: int
    column: int
    message: str
    hint: str
    title: str
    fix: str

    @classmethod
    def of(cls, found: Diagnostic, source_name: str) -> LiveDiagnostic:
        info = CODES.get(found.code)
        here = found.loc.file == source_name
        message = found.message if here else f"{found.loc}: {found.message}"
        return cls(
            code=found.code,
            severity=found.severity,
            line=found.loc.line if here else 0,
            column=found.loc.col if here else 0,
            message=message,
            hint=found.hint,
            title=info.title if info else "",
            fix=info.fix if info else "",
        )

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "title": self.title,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """The dialog read from the text (None: it could not be read) and its diagnostics."""

    dialog: Dialog | None
    found: tuple[Diagnostic, ...]
    diagnostics: tuple[LiveDiagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.dialog is not None and not has_errors(self.found)

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.found)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.found)

    def on_line(self, line: int) -> tuple[LiveDiagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.line == line)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def check_in_library(
    text: str | bytes,
    source_name: str,
    *,
    library: Iterable[Dialog] | None = None,
    roles: Collection[str] | None = None,
    glossary: Glossary | None = None,
    max_bytes: int = MAX_BYTES,
) -> LiveCheck:
    """Load and check `text` with the newest version of every dialog of `library`, the text's
    own dialog in place of its library version (so a goto into it follows the text); without
    a library, goto targets are not checked."""
    loaded = load_dialog_text(text, source_name, max_bytes=max_bytes)
    found = list(loaded.diagnostics)
    dialog = loaded.dialog
    if dialog is not None:
        others = {d.id: d for d in library or () if d.id != dialog.id}
        found.extend(
            check_dialog(
                dialog,
                roles=roles,
                dialog_ids=None if library is None else {*others, dialog.id},
                dialogs={**others, dialog.id: dialog},
                glossary=glossary,
            )
        )
    ordered = tuple(sort_diagnostics(found))
    return LiveCheck(dialog, ordered, tuple(LiveDiagnostic.of(d, source_name) for d in ordered))


def _describe(schema: dict[str, Any], value: Any) -> str:
    """A property's description, or that of the definition it refers to."""
    if not isinstance(value, dict):
        return ""
    if isinstance(value.get("description"), str):
        return str(value["description"])
    ref = value.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
        return str(target.get("description", "")) if isinstance(target, dict) else ""
    return ""


def schema_help(schema_file: str | Path) -> dict[str, str]:
    """Key -> what the dialog JSON Schema says of it (the dialog's keys, each node kind's, an
    option's, a validation rule's); a key the schema does not describe is left out."""
    try:
        schema = json.loads(Path(schema_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(schema, dict):
        return {}
    places: list[dict[str, Any]] = [schema.get("properties", {})]
    defs = schema.get("$defs", {})
    for name in ("option", "validate"):
        places.append(defs.get(name, {}).get("properties", {}))
    kinds: list[str] = []
    for variant in defs.get("node", {}).get("oneOf", []):
        properties = variant.get("properties", {})
        places.append(properties)
        kind = properties.get("kind", {}).get("const")
        if isinstance(kind, str) and isinstance(variant.get("description"), str):
            kinds.append(f"{kind}: {variant['description']}")
    found: dict[str, str] = {}
    for properties in places:
        for key, value in properties.items():
            description = _describe(schema, value)
            if description and key not in found:
                found[key] = description
    if kinds:
        found["kind"] = " · ".join(kinds)
    return found
