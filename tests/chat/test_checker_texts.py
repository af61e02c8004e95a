"""The checker's codes in the catalog (`[checker]`, bot/chat/checker_texts.py): every code of
`dialogs.diagnostics.CODES` has a French title and what to do; en.toml says word for word what
CODES says (CODES stays the source of the CLI and of the content guide's table, so the two
never drift); a French text keeps the keys, ids and file names of the English one."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.chat.catalog import Catalog, bundled
from bot.chat.checker_texts import CodeText, code_text
from dialogs.diagnostics import CODES

CONTENT = Path(__file__).resolve().parents[2] / "content"
#: what a text must keep as it is: `code spans` and content file names
_KEPT = re.compile(r"`[^`]+`|content/[a-z_]+\.yaml")


def _said(lang: str, code: str) -> CodeText:
    said = code_text(bundled(), lang, code)
    assert said is not None, code
    return said


def _table(lang: str) -> dict[str, str]:
    found = tomllib.loads((CONTENT / "catalog" / f"{lang}.toml").read_text("utf-8"))
    table = found["checker"]
    assert isinstance(table, dict)
    return table


def test_the_table_names_every_code_and_nothing_else() -> None:
    expected = {f"{code}_{part}" for code in CODES for part in ("title", "fix")}
    assert set(_table("en")) == expected
    assert set(_table("fr")) == expected


def test_the_english_is_that_of_the_checker() -> None:
    for code, info in CODES.items():
        said = _said("en", code)
        assert (said.title, said.fix) == (info.title, info.fix), code


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_its_own_french(code: str) -> None:
    english, french = CODES[code], _said("fr", code)
    assert french.title
    assert french.title != english.title
    assert french.fix
    assert french.fix != english.fix
    assert sorted(_KEPT.findall(french.fix)) == sorted(_KEPT.findall(english.fix)), code


def test_braces_read_as_written() -> None:
    """A catalog writes a brace as {{: the reader sees one."""
    assert "{{ ... }} ou {% ... %}" in _said("fr", "RD040").fix
    assert "{1000}" in _said("fr", "RD125").fix


def test_a_catalog_without_the_table_shows_the_checker_s_english() -> None:
    """A content folder of one's own from before the table still shows what to do."""
    messages = {
        lang: {key: value for key, value in table.items() if key != "checker"}
        for lang, table in bundled().messages.items()
    }
    said = code_text(Catalog(messages), "fr", "RD024")
    assert said is not None
    assert (said.title, said.fix) == (CODES["RD024"].title, CODES["RD024"].fix)
    assert code_text(bundled(), "fr", "RD999") is None
