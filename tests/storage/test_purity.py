"""storage/ sits strictly below the application: it imports nothing from `bot`.

The errors storage raises live in `storage.errors` (re-exported by `bot.errors`); key loading
and the demo seeding are application jobs in `bot/`; recurrence rules are pure values in
`storage.recurrence` that both layers use.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import storage

PACKAGE = Path(storage.__file__).parent


def _modules() -> list[str]:
    """Every importable storage module (Alembic's env.py and revisions run only under Alembic)."""
    names = ["storage"]
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="storage."):
        if info.name.startswith("storage.migrations"):
            continue
        names.append(info.name)
    return sorted(names)


def test_importing_every_storage_module_loads_nothing_from_bot() -> None:
    modules = _modules()
    assert "storage.models" in modules  # the walk found the package
    assert "storage.tx" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    loaded = json.loads(out)
    assert [m for m in loaded if m == "bot" or m.startswith("bot.")] == []


def test_no_storage_source_file_imports_bot() -> None:
    """Also the imports a subprocess never runs: under TYPE_CHECKING, inside functions, in
    migrations."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "bot" or name.startswith("bot."):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}")
    assert offenders == []
