"""The bundled content pack: checks clean and passes its transcripts and walks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from dialogs import load_library

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _has_dialogs() -> bool:
    return any(not p.name.endswith(".test.yaml") for p in (CONTENT / "dialogs").glob("*.yaml"))


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_bundled_dialogs_have_no_errors() -> None:
    loaded = load_library(CONTENT)
    errors = [str(d) for d in loaded.diagnostics if d.severity == "error"]
    assert errors == []
    assert len(loaded.library) == len(loaded.files)


@pytest.mark.skipif(not _has_dialogs(), reason="no bundled dialogs yet")
def test_bundled_dialogs_pass_their_tests(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dialogs", "test", str(CONTENT)])
    out = capsys.readouterr().out
    assert code == 0, out
