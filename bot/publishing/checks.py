"""What a draft must pass: loading (guarded YAML), the checker, and its tests.

Pure functions over dialog text and a `Library` (no database, no clock). Every draft must pass
the bounded walk of every path (`dialogs.testing.walk_dialog`) and its transcript tests: its
own, or those of the published version it replaces.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dialogs import Dialog, Library, check_dialog, has_errors, load_dialog_text
from dialogs.diagnostics import Diagnostic, sort_diagnostics
from dialogs.glossary import Glossary
from dialogs.testing import CheckOutcome, run_transcript_file, walk_dialog

__all__ = [
    "DraftCheck",
    "DraftTests",
    "check_draft",
    "diff_sources",
    "is_transcript_file",
    "library_with",
    "run_draft_tests",
    "run_transcripts",
    "run_walk",
    "transcript_dialog_id",
]

_TRANSCRIPT_SUFFIX = ".test.yaml"


@dataclass(slots=True)
class DraftCheck:
    """The dialog (None when it could not be read at all) and every diagnostic, sorted."""

    dialog: Dialog | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.dialog is not None and not has_errors(self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def is_transcript_file(file_name: str) -> bool:
    return file_name.lower().endswith(_TRANSCRIPT_SUFFIX)


def _source_name(file_name: str) -> str:
    """A safe display name for diagnostics: the base name only, never a path."""
    name = Path(file_name.replace("\\", "/")).name.strip() or "dialog.yaml"
    return name[:100]


def check_draft(
    data: str | bytes,
    file_name: str,
    *,
    library: Library,
    roles: Collection[str] | None,
    max_bytes: int,
    glossary: Glossary | None = None,
) -> DraftCheck:
    """Load (size, UTF-8, binary, alias bombs are diagnostics) and check against the library
    (goto targets; the paths of risk options and audiences through its dialogs, the draft in
    place of its own), the declared contact roles and the glossary."""
    result = load_dialog_text(data, _source_name(file_name), max_bytes=max_bytes)
    diagnostics = list(result.diagnostics)
    dialog = result.dialog
    if dialog is not None:
        ids = {*library.ids(), dialog.id}
        dialogs = {d.id: d for d in library} | {dialog.id: dialog}
        diagnostics.extend(
            check_dialog(dialog, roles=roles, dialog_ids=ids, dialogs=dialogs, glossary=glossary)
        )
    return DraftCheck(dialog, sort_diagnostics(diagnostics))


def library_with(library: Library, dialog: Dialog) -> Library:
    """The newest version of every dialog of `library`, with `dialog` in place of its own."""
    combined = Library(d for d in library if d.id != dialog.id)
    combined.add(dialog, 1)
    return combined


def transcript_dialog_id(data: str | bytes) -> str | None:
    """The `dialog:` of a transcript file, read with the guarded YAML parser."""
    from dialogs.yamlsafe import parse_yaml

    parsed = parse_yaml(data, "tests.yaml")
    root = parsed.root
    if root is None or not hasattr(root, "value") or not isinstance(root.value, list):
        return None
    for key, value in root.value:
        if getattr(key, "value", None) == "dialog" and isinstance(
            getattr(value, "value", None), str
        ):
            return str(value.value)
    return None


@dataclass(frozen=True, slots=True)
class DraftTests:
    """What a draft was tested with: the walk, and its transcript tests (none: empty)."""

    walk: tuple[CheckOutcome, ...]
    transcripts: tuple[CheckOutcome, ...]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in (*self.walk, *self.transcripts))

    @property
    def failed(self) -> list[CheckOutcome]:
        return [o for o in (*self.walk, *self.transcripts) if not o.passed]


def run_walk(library: Library, dialog: Dialog) -> CheckOutcome:
    """The bounded walk of every path of the draft (may explore thousands of states)."""
    combined = library_with(library, dialog)
    draft = combined.get(dialog.id)
    assert draft is not None
    return walk_dialog(combined, draft)


def run_transcripts(library: Library, dialog: Dialog, tests: str) -> tuple[CheckOutcome, ...]:
    """The draft's transcript tests (a few steps each)."""
    combined = library_with(library, dialog)
    with tempfile.TemporaryDirectory(prefix="relais-draft-") as folder:
        path = Path(folder) / f"{dialog.id}{_TRANSCRIPT_SUFFIX}"
        path.write_text(tests, encoding="utf-8")
        outcomes = run_transcript_file(combined, path)
    if not outcomes:
        outcomes = [CheckOutcome(f"{dialog.id}: transcripts", dialog.loc, False, ["no test"])]
    return tuple(outcomes)


def run_draft_tests(library: Library, dialog: Dialog, tests: str | None) -> DraftTests:
    """The bounded walk of the draft, and its transcript tests when it has some."""
    walk = (run_walk(library, dialog),)
    return DraftTests(walk, run_transcripts(library, dialog, tests) if tests else ())


def diff_sources(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two dialog texts ('' when they are equal)."""
    lines: Sequence[str] = list(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
