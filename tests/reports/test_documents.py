"""The shared document renderer: sandboxed, located errors, bounded in time and size."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reports.documents import DocumentError, check_templates, render_document


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_renders_values_and_escapes_html_only(tmp_path: Path) -> None:
    _write(tmp_path, "doc.html.j2", "<p>{{ who }}</p>\n")
    _write(tmp_path, "doc.md.j2", "# {{ who }}\n")
    assert render_document(tmp_path, "doc.html.j2", {"who": "<b>x</b>"}) == (
        "<p>&lt;b&gt;x&lt;/b&gt;</p>\n"
    )
    assert render_document(tmp_path, "doc.md.j2", {"who": "<b>x</b>"}) == "# <b>x</b>\n"


def test_a_syntax_error_is_located(tmp_path: Path) -> None:
    _write(tmp_path, "bad.md.j2", "line one\n{% if x %}\nno end\n")
    _write(tmp_path, "good.md.j2", "fine\n")
    problems = check_templates(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'bad.md.j2'}:")
    with pytest.raises(DocumentError, match=r"bad\.md\.j2:\d"):
        render_document(tmp_path, "bad.md.j2", {"x": True})


def test_a_missing_value_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "doc.md.j2", "a\n{{ nothing_here }}\n")
    with pytest.raises(DocumentError, match="nothing_here"):
        render_document(tmp_path, "doc.md.j2", {})


def test_the_sandbox_refuses_internals(tmp_path: Path) -> None:
    _write(tmp_path, "doc.md.j2", "{{ x.__class__.__mro__ }}")
    with pytest.raises(DocumentError):
        render_document(tmp_path, "doc.md.j2", {"x": "s"})
    _write(tmp_path, "mut.md.j2", "{{ items.append(1) }}")
    with pytest.raises(DocumentError):
        render_document(tmp_path, "mut.md.j2", {"items": []})


def test_output_is_bounded(tmp_path: Path) -> None:
    _write(tmp_path, "big.md.j2", "{% for i in range(10000) %}{{ text }}{% endfor %}")
    with pytest.raises(DocumentError, match="longer than 1,000 characters"):
        render_document(tmp_path, "big.md.j2", {"text": "x" * 10}, max_chars=1000)


def test_time_is_bounded_even_without_output(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "slow.md.j2",
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}done",
    )
    with pytest.raises(DocumentError, match="took longer than"):
        render_document(tmp_path, "slow.md.j2", {}, max_seconds=0.2)


def test_range_is_bounded(tmp_path: Path) -> None:
    _write(tmp_path, "r.md.j2", "{% for i in range(10**9) %}{% endfor %}")
    with pytest.raises(DocumentError, match="range"):
        render_document(tmp_path, "r.md.j2", {})


def test_bundled_templates_parse() -> None:
    folder = Path(__file__).resolve().parents[2] / "content" / "templates"
    assert check_templates(folder) == []


def test_the_content_check_reports_a_broken_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    (tmp_path / "dialogs").mkdir()
    (tmp_path / "templates").mkdir()
    _write(tmp_path / "templates", "review_pack.md.j2", "ok\n{% for x in %}\n")
    assert main(["dialogs", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'templates' / 'review_pack.md.j2'}:2:" in out
