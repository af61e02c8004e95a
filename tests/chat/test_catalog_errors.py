"""Every refusal the code words for a practitioner (`RelaisError.saying("key", **values)`) has
its `[errors].key` in both catalogs, with the very {fields} it is given: a key missing from one
language fails here, not as a KeyError in a practitioner's chat."""

from __future__ import annotations

import ast
import string
import tomllib
from pathlib import Path

from bot.chat.catalog import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "dialogs", "storage")


def _said() -> dict[str, set[frozenset[str]]]:
    """Each key given to `.saying(...)` in the source, with the names of its values."""
    found: dict[str, set[frozenset[str]]] = {}
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "saying"
                ):
                    continue
                where = f"{path}:{node.lineno}: .saying() takes the key as a literal string"
                assert node.args, where
                assert isinstance(node.args[0], ast.Constant), where
                names = frozenset(k.arg for k in node.keywords if k.arg is not None)
                found.setdefault(str(node.args[0].value), set()).add(names)
    return found


def _errors(lang: str) -> dict[str, str]:
    catalog = tomllib.loads((ROOT / "content" / "catalog" / f"{lang}.toml").read_text("utf-8"))
    errors: dict[str, str] = catalog["errors"]
    return errors


def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def test_the_source_says_refusals() -> None:
    said = _said()
    assert {"no_case", "note_too_long", "no_checkin"} <= set(said)  # the scan finds them


def test_every_refusal_key_is_in_both_catalogs_with_its_fields() -> None:
    said = _said()
    for lang in LANGUAGES:
        errors = _errors(lang)
        missing = sorted(set(said) - set(errors))
        assert not missing, f"[errors] of {lang}.toml lacks {missing}"
        for key, uses in said.items():
            for names in uses:
                assert _fields(errors[key]) <= names, (
                    f"{lang}.toml [errors].{key} names {sorted(_fields(errors[key]))}, "
                    f"a .saying({key!r}) gives {sorted(names)}"
                )


def test_no_refusal_in_the_catalogs_is_left_unused() -> None:
    said = _said()
    for lang in LANGUAGES:
        assert sorted(set(_errors(lang)) - set(said)) == [], f"unused in {lang}.toml"
