"""dialogs/ is pure: no asyncio, database, channel library, scheduler, and no clock reads."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import dialogs

FORBIDDEN = ("asyncio", "sqlalchemy", "telegram", "nio", "apscheduler")
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}


def test_importing_dialogs_pulls_in_no_io_library() -> None:
    code = (
        "import json, sys\n"
        "import dialogs, dialogs.engine, dialogs.checker, dialogs.graph, dialogs.testing\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = json.loads(out)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_dialogs_never_reads_the_clock() -> None:
    package = Path(dialogs.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_CALLS
            ):
                offenders.append(f"{path.name}:{node.lineno}: .{node.func.attr}()")
            if isinstance(node, ast.ImportFrom) and node.module == "time":
                offenders.append(f"{path.name}:{node.lineno}: from time import")
            if isinstance(node, ast.Import) and any(a.name == "time" for a in node.names):
                offenders.append(f"{path.name}:{node.lineno}: import time")
    assert offenders == []
