"""Small modules (STYLE.md 11, issue 15): no module in bot/ or storage/ over 400 lines.

A module that grows past the limit is split along its seams (see docs/design.md, "Layers"):
add a module rather than grow a big one. Alembic migrations are generated history: not counted.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def _modules() -> list[Path]:
    found = []
    for package in ("bot", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                found.append(path)
    return found


def test_the_packages_are_found() -> None:
    modules = _modules()
    assert len(modules) > 50
    assert ROOT / "bot" / "chat" / "service.py" in modules
    assert not [m for m in modules if "migrations" in m.parts]


def test_no_module_in_bot_or_storage_is_over_400_lines() -> None:
    too_long = {}
    for path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[str(path.relative_to(ROOT))] = lines
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"
