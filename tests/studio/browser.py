"""Headless Chromium for the Studio's browser tests: Debian's `chromium` driven by
Playwright (never `playwright install`: no browser download), axe-core from
tests/studio/js (pinned by its package-lock.json; `./dev setup` installs it), screenshots
under tests/artifacts/studio/.

The tests skip, saying why, only when Chromium (or the Playwright package) is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ARTIFACTS", "Browser", "accessibility_violations", "axe_source", "chromium"]

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts" / "studio"
_AXE = HERE / "js" / "node_modules" / "axe-core" / "axe.min.js"
#: the WCAG 2.2 A and AA rules of axe-core (the Studio's target)
_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

try:
    from playwright.async_api import Browser, async_playwright
except ImportError:  # pragma: no cover - ./dev setup installs it (the dev extra)
    Browser = Any  # type: ignore[assignment,misc]
    async_playwright = None


def chromium_path() -> str:
    """Debian's Chromium, or a skip that says what is missing."""
    found = os.environ.get("RELAIS_CHROMIUM") or shutil.which("chromium")
    if not found and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if not found:
        pytest.skip("Chromium is not installed (apt-get install chromium; ./dev setup tries)")
    if async_playwright is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    return found


def axe_source() -> str:
    """axe-core's script, installed from the pinned lock file if it is not yet."""
    if not _AXE.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE / "js",
            check=False,
            capture_output=True,
            timeout=300,
        )
    if not _AXE.exists():
        pytest.fail(f"axe-core is missing ({_AXE}): run ./dev setup (it needs npm)")
    return _AXE.read_text("utf-8")


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_path()
    assert async_playwright is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def accessibility_violations(page: Any, source: str) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page, one line each (empty: none).
    Injected through the DevTools protocol, so the page's Content Security Policy (which
    allows no inline script) needs no exception for it."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(source)
    found = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))",
        _TAGS,
    )
    return [json.dumps(v) for v in found]
