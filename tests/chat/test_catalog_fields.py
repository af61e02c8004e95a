"""The bot's message catalog inserts values as {name} only: a format spec, a conversion or an
attribute in a message is refused when the catalog is loaded (before: `{name:>999999999}` built
a gigabyte string on every welcome, `{name.__class__}` showed Python internals)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.chat.catalog import Catalog
from bot.errors import ConfigError

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _content_with(tmp_path: Path, line: str) -> Path:
    shutil.copytree(CONTENT / "catalog", tmp_path / "catalog")
    path = tmp_path / "catalog" / "fr.toml"
    path.write_text(path.read_text("utf-8") + line + "\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ('zz_hostile = "Bonjour {name:>999999999}"', "{name:>999999999}"),
        ('zz_hostile = "Bonjour {name.__class__}"', "{name.__class__}"),
        ('zz_hostile = "Bonjour {name!r}"', "{name!r}"),
        ('zz_hostile = "Bonjour {0}"', "{0}"),
        ('[zz_table]\nzz_hostile = "{role[0]}"', "zz_table.zz_hostile"),
    ],
)
def test_a_message_with_more_than_a_name_is_refused(tmp_path: Path, line: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Catalog.load(_content_with(tmp_path, line))
    assert "fr.toml" in str(caught.value)
    assert shown in str(caught.value)
    assert "{name} only" in str(caught.value)


def test_an_unbalanced_brace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="zz_hostile"):
        Catalog.load(_content_with(tmp_path, 'zz_hostile = "Bonjour {name"'))


def test_the_bundled_catalog_loads() -> None:
    catalog = Catalog.load(CONTENT)
    assert catalog.text("fr", "sos_while_busy")
