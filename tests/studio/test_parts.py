"""The Studio's pure parts: the side-by-side diff and the `[studio]` configuration."""

from __future__ import annotations

import pytest

from bot.config import parse_config
from bot.errors import ConfigError
from bot.studio.diff import DiffRow, side_by_side


def test_diff_pairs_changed_lines_and_skips_unchanged_ones() -> None:
    before = "\n".join(f"line {n}" for n in range(1, 21))
    after = before.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    rows = side_by_side(before, after, context=1)
    assert rows == [
        DiffRow("skip", skipped=8),
        DiffRow("same", 9, "line 9", 9, "line 9"),
        DiffRow("changed", 10, "line 10", 10, "line ten"),
        DiffRow("same", 11, "line 11", 11, "line 11"),
        DiffRow("skip", skipped=8),
        DiffRow("same", 20, "line 20", 20, "line 20"),
        DiffRow("added", None, "", 21, "line 21"),
    ]


def test_diff_of_a_new_dialog_and_of_the_same_text() -> None:
    assert side_by_side("", "a\nb") == [
        DiffRow("added", None, "", 1, "a"),
        DiffRow("added", None, "", 2, "b"),
    ]
    assert side_by_side("a\nb", "a\nb") == []
    assert side_by_side("a\nb\nc", "a\nc") == [
        DiffRow("same", 1, "a", 1, "a"),
        DiffRow("removed", 2, "b", None, ""),
        DiffRow("same", 3, "c", 2, "c"),
    ]


def test_studio_configuration() -> None:
    config = parse_config(
        '[studio]\nlisten = "127.0.0.1:8088"\npublic_url = "https://studio.example.org"\n'
    )
    assert config.studio.session_minutes == 30
    assert config.studio.link_minutes == 5
    assert parse_config("").studio.listen == ""  # off by default
    for text, key in (
        ('[studio]\nlisten = "127.0.0.1:8088"\n', "studio.public_url"),
        ('[studio]\nlisten = "8088"\npublic_url = "https://s.example.org"\n', "studio.listen"),
        ("[studio]\nlink_minutes = 0\n", "studio.link_minutes"),
        ("[studio]\nsession_minutes = 100000\n", "studio.session_minutes"),
        ('[studio]\nlisten = "127.0.0.1:1"\npublic_url = "ftp://x"\n', "studio.public_url"),
        ("[studio]\nsesion_minutes = 3\n", "studio.sesion_minutes"),
    ):
        with pytest.raises(ConfigError) as raised:
            parse_config(text)
        assert key in str(raised.value), text
