"""Checker speed: time to load and check a generated 2,000-node dialog file.

Target: < 250 ms. Run: .venv/bin/python bench/bench_checker.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import generate

from dialogs import check_dialog_text
from dialogs.roles import find_contact_roles, load_contact_roles

TARGET_MS = 250.0


def main() -> None:
    text = generate(2000)
    roles_file = find_contact_roles(Path(__file__).resolve().parent.parent / "content")
    roles = set(load_contact_roles(roles_file).roles) if roles_file else None
    timings = []
    walls = []
    result = None
    for _ in range(7):
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = check_dialog_text(text, "bench.yaml", roles=roles, dialog_ids={"bench"})
        timings.append((time.process_time() - cpu_started) * 1000)
        walls.append((time.perf_counter() - started) * 1000)
    assert result is not None
    assert result.dialog is not None
    median = statistics.median(timings)
    verdict = "OK" if median < TARGET_MS else "ABOVE TARGET"
    size = len(text.encode())
    print(
        f"checker: 2,000-node file ({size:,} bytes, {text.count(chr(10)):,} lines),"
        f" {len(result.diagnostics)} diagnostics"
    )
    print(
        f"checker: parse + load + check, CPU time median {median:.0f} ms,"
        f" best {min(timings):.0f} ms (target < {TARGET_MS:.0f} ms) {verdict}"
    )
    print(f"checker: wall clock median {statistics.median(walls):.0f} ms")


if __name__ == "__main__":
    main()
