"""A library of dialogs, each with numbered versions; loading a folder of dialog files.

Bundled files are version 1. Publishing adds further versions (from its database) with
`Library.add`. The engine reads dialogs only through the `DialogSource` protocol.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dialogs.checker import check_dialog
from dialogs.diagnostics import Diagnostic, Loc, has_errors, sort_diagnostics
from dialogs.glossary import Glossary, find_glossary, load_glossary
from dialogs.loader import load_dialog_file
from dialogs.model import Dialog
from dialogs.roles import find_contact_roles, load_contact_roles
from dialogs.yamlsafe import MAX_BYTES, diag

__all__ = [
    "DialogSource",
    "Library",
    "LibraryLoad",
    "dialog_files",
    "load_library",
    "load_paths",
]


class DialogSource(Protocol):
    def get(self, dialog_id: str, version: int | None = None) -> Dialog | None:
        """The dialog at that version; None = the newest version. None if unknown."""
        ...


class Library:
    """Dialogs by id and version. Versions are immutable once added."""

    def __init__(self, dialogs: Iterable[Dialog] = ()) -> None:
        self._versions: dict[str, dict[int, Dialog]] = {}
        self._newest: dict[str, Dialog] = {}
        for dialog in dialogs:
            self.add(dialog)

    def add(self, dialog: Dialog, version: int | None = None) -> Dialog:
        """Add a version (default: the dialog's own version if free, else the next number)."""
        versions = self._versions.setdefault(dialog.id, {})
        if version is None:
            version = dialog.version if dialog.version not in versions else max(versions) + 1
        if version in versions:
            raise ValueError(f"dialog {dialog.id!r} already has a version {version}")
        if dialog.version != version:
            dialog = dialog.with_version(version)
        versions[version] = dialog
        if dialog.id not in self._newest or version > self._newest[dialog.id].version:
            self._newest[dialog.id] = dialog
        return dialog

    def get(self, dialog_id: str, version: int | None = None) -> Dialog | None:
        if version is None:
            return self._newest.get(dialog_id)
        return self._versions.get(dialog_id, {}).get(version)

    def versions(self, dialog_id: str) -> tuple[int, ...]:
        return tuple(sorted(self._versions.get(dialog_id, {})))

    def ids(self) -> list[str]:
        return sorted(self._newest)

    def __contains__(self, dialog_id: object) -> bool:
        return dialog_id in self._newest

    def __iter__(self) -> Iterator[Dialog]:
        """The newest version of every dialog, by id."""
        return iter(self._newest[i] for i in sorted(self._newest))

    def __len__(self) -> int:
        return len(self._newest)


@dataclass(slots=True)
class LibraryLoad:
    """The dialogs that loaded without errors, and every diagnostic, sorted."""

    library: Library
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: dialog id -> the file it came from (also for dialogs left out because of errors)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def dialog_files(path: str | Path) -> list[Path]:
    """The dialog files in a folder (not transcripts); a `dialogs/` sub-folder is used if any."""
    folder = Path(path)
    if folder.is_file():
        if folder.name.endswith(".test.yaml"):  # a transcript stands for its dialog
            dialog = folder.with_name(folder.name[: -len(".test.yaml")] + ".yaml")
            return [dialog] if dialog.is_file() else []
        return [folder]
    if (folder / "dialogs").is_dir():
        folder = folder / "dialogs"
    return sorted(p for p in folder.glob("*.yaml") if not p.name.endswith(".test.yaml"))


def load_paths(
    paths: Sequence[str | Path],
    *,
    roles: Collection[str] | None = None,
    max_bytes: int = MAX_BYTES,
    glossary: Glossary | None = None,
) -> LibraryLoad:
    """Load and check files and folders as one library (goto targets and ids across all).

    A single file is checked with the other dialogs of its folder as its library (so that its
    gotos resolve); only the named files and folders are reported on. Contact roles and the
    glossary, unless given, are found beside the first path (`find_contact_roles`,
    `find_glossary`).
    """
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        if not Path(path).exists():
            diagnostics.append(diag(Loc(str(path)), "RD006", "no such file or folder"))
            continue
        for file in dialog_files(path):
            if file.resolve() not in {f.resolve() for f in files}:
                files.append(file)
    named = {file.resolve() for file in files}
    siblings: list[Path] = []
    for path in paths:
        if Path(path).is_file():
            for other in dialog_files(Path(path).parent):
                if other.resolve() not in named and other not in siblings:
                    siblings.append(other)
    if roles is None and paths:
        roles_file = find_contact_roles(paths[0])
        if roles_file is not None:
            roles_load = load_contact_roles(roles_file)
            diagnostics.extend(roles_load.diagnostics)
            roles = set(roles_load.roles)
    if glossary is None and paths:
        glossary_file = find_glossary(paths[0])
        if glossary_file is not None:
            glossary_load = load_glossary(glossary_file)
            diagnostics.extend(glossary_load.diagnostics)
            glossary = glossary_load.glossary
    loaded: list[tuple[Dialog, list[Diagnostic], bool]] = []
    where: dict[str, Path] = {}
    for file in [*files, *siblings]:
        reported = file.resolve() in named
        result = load_dialog_file(file, max_bytes=max_bytes)
        if reported:
            diagnostics.extend(result.diagnostics)
        dialog = result.dialog
        if dialog is None:
            continue
        if dialog.id in where:
            if reported:
                diagnostics.append(
                    diag(
                        dialog.locs.get("id", dialog.loc),
                        "RD022",
                        f"dialog id {dialog.id!r} is also declared in {where[dialog.id]}",
                    )
                )
            continue
        where[dialog.id] = file
        loaded.append((dialog, result.diagnostics, reported))
    library = Library()
    by_id = {dialog.id: dialog for dialog, _, _ in loaded}
    for dialog, own, reported in loaded:
        checked = check_dialog(
            dialog, roles=roles, dialog_ids=where.keys(), dialogs=by_id, glossary=glossary
        )
        if reported:
            diagnostics.extend(checked)
        if not has_errors(own) and not has_errors(checked):
            library.add(dialog, 1)
    files_of = {i: f for i, f in where.items() if f.resolve() in named}
    return LibraryLoad(library, sort_diagnostics(diagnostics), files_of)


def load_library(
    path: str | Path,
    *,
    roles: Collection[str] | None = None,
    max_bytes: int = MAX_BYTES,
    glossary: Glossary | None = None,
) -> LibraryLoad:
    """Every *.yaml dialog of a folder (not *.test.yaml) as version 1, checked together."""
    return load_paths([path], roles=roles, max_bytes=max_bytes, glossary=glossary)
