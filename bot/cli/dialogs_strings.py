"""`relais dialogs strings export|import`: a dialog's texts for translators (PO or XLIFF).

    relais dialogs strings export trigger_loss --lang fr --format po -o trigger_loss.fr.po
    relais dialogs strings import trigger_loss.fr.po [--to content/dialogs/trigger_loss.yaml]

The import applies the translations to the YAML file (comments and layout kept), checks the
result, and writes nothing when an id is unknown or the checker finds an error
(`dialogs.translations`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.config import load_config
from dialogs import load_contact_roles, load_paths
from dialogs.diagnostics import has_errors
from dialogs.glossary import find_glossary, load_glossary
from dialogs.roles import find_contact_roles
from dialogs.roundtrip import RoundTripError
from dialogs.translations import (
    FORMATS,
    TranslationError,
    extract_strings,
    import_translations,
    read_translations,
    to_po,
    to_xliff,
)

__all__ = ["register_strings"]

_EXTENSIONS = {".po": "po", ".pot": "po", ".xlf": "xliff", ".xliff": "xliff"}


def register_strings(sub: Any) -> None:
    strings = sub.add_parser("strings", help="export or import a dialog's texts for translators")
    actions = strings.add_subparsers(dest="strings_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="one language's texts as PO or XLIFF")
    export.add_argument("dialog", metavar="FILE|ID")
    export.add_argument("--lang", required=True, help="the language to translate into")
    export.add_argument(
        "--format", choices=FORMATS, default=None, help="default: from -o's extension, else po"
    )
    export.add_argument("-o", "--output", metavar="OUT", help="default: standard output")
    export.set_defaults(func=_export)
    imp = actions.add_parser("import", help="apply a translated PO or XLIFF file to a dialog")
    imp.add_argument("file", metavar="FILE.po|FILE.xlf")
    imp.add_argument(
        "--to", metavar="DIALOG.yaml", help="the dialog file (default: found by id in content)"
    )
    imp.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    imp.set_defaults(func=_import)


def _fail(message: str) -> int:
    print(f"relais: {message}", file=sys.stderr)
    return 1


def _dialog_file(args: argparse.Namespace, target: str) -> Path | None:
    """A dialog file named directly, or found by its id among the content's dialogs."""
    path = Path(target)
    if path.suffix == ".yaml" or path.exists():
        return path if path.is_file() else None
    loaded = load_paths([load_config(args.config).content_path])
    return loaded.files.get(target)


def _shown(path: Path) -> str:
    """The file as the translator sees it: relative to here, else its name (no server path)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name


def _export(args: argparse.Namespace) -> int:
    path = _dialog_file(args, args.dialog)
    if path is None:
        return _fail(f"no dialog {args.dialog!r}: give its file or its id (relais dialogs check)")
    fmt = args.format or _EXTENSIONS.get(Path(args.output or "").suffix.lower(), "po")
    try:
        table = extract_strings(path.read_text(encoding="utf-8"), _shown(path), args.lang)
    except (TranslationError, RoundTripError) as exc:
        return _fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {path}: {exc}")
    data = to_po(table) if fmt == "po" else to_xliff(table)
    if args.output:
        Path(args.output).write_text(data, encoding="utf-8")
        missing = sum(1 for entry in table.entries if not entry.target)
        print(
            f"{len(table.entries)} text(s) of {table.dialog_id} ({table.source_lang} -> "
            f"{table.target_lang}, {missing} not yet translated) written to {args.output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(data)
    return 0


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _import(args: argparse.Namespace) -> int:
    source = Path(args.file)
    try:
        translations = read_translations(source.read_text(encoding="utf-8"), str(source))
    except TranslationError as exc:
        return _fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {source}: {exc}")
    target = Path(args.to) if args.to else _dialog_file(args, translations.dialog_id or "?")
    if target is None or not target.is_file():
        return _fail(
            f"no dialog file for {translations.dialog_id or 'these translations'!r}: "
            "say which with --to content/dialogs/NAME.yaml"
        )
    library = load_paths([target])
    roles_file = find_contact_roles(target)
    roles = set(load_contact_roles(roles_file).roles) if roles_file else None
    glossary_file = find_glossary(target)
    glossary = load_glossary(glossary_file).glossary if glossary_file else None
    dialogs = {dialog.id: dialog for dialog in library.library}
    try:
        result = import_translations(
            target.read_text(encoding="utf-8"),
            str(target),
            translations,
            roles=roles,
            dialog_ids={*dialogs, *library.files},
            dialogs=dialogs,
            glossary=glossary,
        )
    except (TranslationError, RoundTripError) as exc:
        return _fail(str(exc))
    for problem in result.problems:
        print(problem, file=sys.stderr)
    for diagnostic in result.diagnostics:
        print(diagnostic, file=sys.stderr)
    for string_id in result.stale:
        print(
            f"{string_id}: the {translations.source_lang or 'source'} text changed since the "
            "export: check that the translation still says the same",
            file=sys.stderr,
        )
    summary = (
        f"{len(result.changed)} text(s) changed, {result.unchanged} unchanged, "
        f"{result.untranslated} left untranslated"
    )
    if not result.ok:
        why = "the checker found errors" if has_errors(result.diagnostics) else "see above"
        return _fail(
            f"nothing written to {target}: {why}; fix the translation file and import again"
        )
    if args.dry_run:
        print(f"{summary} (dry run: {target} not written)")
        return 0
    if result.changed:
        _write_atomically(target, result.text)
    print(f"{target}: {summary}")
    return 0
