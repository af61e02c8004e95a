"""Splitting long texts and escaping for Telegram's HTML parse mode."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.telegram_text import split_text, to_html, utf16_len


def test_short_text_is_one_piece() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("   ") == []


def test_splits_at_paragraphs_first() -> None:
    paragraphs = ["a" * 3000, "b" * 3000, "c" * 1000]
    assert split_text("\n\n".join(paragraphs)) == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 1000]


def test_then_at_lines_then_spaces_then_anywhere() -> None:
    lines = "\n".join(["x" * 3000, "y" * 3000])
    assert split_text(lines) == ["x" * 3000, "y" * 3000]
    words = " ".join(["word"] * 2000)  # 9,999 characters, one line
    pieces = split_text(words)
    assert all(utf16_len(p) <= 4096 for p in pieces)
    assert all(not p.startswith(" ") and p.endswith("word") for p in pieces)
    assert split_text("z" * 5000) == ["z" * 4096, "z" * 904]


def test_counts_utf16_units_and_never_cuts_a_character() -> None:
    emoji = "🙂" * 3000  # 6,000 UTF-16 units
    pieces = split_text(emoji)
    assert pieces == ["🙂" * 2048, "🙂" * 952]


def test_html_escaping_shows_text_as_typed() -> None:
    assert to_html("<b>x</b> & 'q' \"d\"") == "&lt;b&gt;x&lt;/b&gt; &amp; 'q' \"d\""


@given(st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "é", "🙂"]), max_size=400))
def test_pieces_fit_and_keep_every_visible_character(text: str) -> None:
    pieces = split_text(text, limit=37)
    assert all(0 < utf16_len(p) <= 37 for p in pieces)
    assert all(p.strip() for p in pieces)
    visible = "".join(text.split())
    assert "".join("".join(p.split()) for p in pieces) == visible
