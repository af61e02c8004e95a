"""The checker's codes in the reader's language: each code's title (the problem) and what to
do, from `[checker]` of content/catalog/<lang>.toml (`RD024_title`, `RD024_fix`).

`dialogs/` is a library that knows no reader: its table `dialogs.diagnostics.CODES` stays the
English source of the `relais dialogs check` command and of the content guide's table, and
en.toml holds the same English word for word (tests/chat/test_checker_texts.py checks it).
The Studio turns a check into the visitor's language with `localise_check`.

A catalog message writes a brace as `{{` (its rule for every message): `{{ name }}` in a
fix is `{{{{ name }}}}` in the file. A catalog without the table (a content folder of one's
own from before it) shows the English of `CODES`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.chat.catalog import Catalog
from dialogs.diagnostics import CODES
from dialogs.live import LiveCheck, LiveDiagnostic

__all__ = ["CodeText", "code_text", "localise_check"]


@dataclass(frozen=True, slots=True)
class CodeText:
    """What a code means, in one language: the problem and what to do about it."""

    title: str
    fix: str


def _said(catalog: Catalog, lang: str, key: str, english: str) -> str:
    try:
        return catalog.text(lang, f"checker.{key}").format()
    except KeyError:
        return english


def code_text(catalog: Catalog, lang: str, code: str) -> CodeText | None:
    """The title and what to do of `code` in `lang` (None: not a checker code)."""
    info = CODES.get(code)
    if info is None:
        return None
    return CodeText(
        _said(catalog, lang, f"{code}_title", info.title),
        _said(catalog, lang, f"{code}_fix", info.fix),
    )


def _localise(found: LiveDiagnostic, catalog: Catalog, lang: str) -> LiveDiagnostic:
    said = code_text(catalog, lang, found.code)
    if said is None:
        return found
    return dataclasses.replace(found, title=said.title, fix=said.fix)


def localise_check(check: LiveCheck, catalog: Catalog, lang: str) -> LiveCheck:
    """`check` with each diagnostic's title and what to do in `lang`; the message (precise,
    with the node ids) stays as the checker wrote it."""
    shown = tuple(_localise(d, catalog, lang) for d in check.diagnostics)
    return dataclasses.replace(check, diagnostics=shown)
