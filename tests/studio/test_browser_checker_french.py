"""The live check in headless Chromium for a French psychologist: an error typed in is listed
by editor.js with its code's title and what to do in French, the checker's message in English
(marked lang="en"); the page passes axe-core and is photographed under
tests/artifacts/studio/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.studio.browser import axe_source, chromium
from tests.studio.conftest import StudioWorld
from tests.studio.test_browser_path import open_as

__all__ = ["chromium"]

pytestmark = pytest.mark.slow


async def test_a_french_psychologist_types_an_error(studio: StudioWorld, chromium: Any) -> None:
    await studio.pub.chat("pia").say("/lang fr")
    pia = await open_as(chromium, axe_source())
    page = pia.page
    await page.goto(await studio.link("pia"))
    await page.locator("button[type=submit]").click()
    await page.wait_for_url(f"{studio.url}/")
    await page.goto(f"{studio.url}/dialogs/crisis/edit")
    source = page.get_by_label("Texte du dialogue (YAML)")
    original = await source.input_value()

    await source.fill(original.replace("next: note", "next: nowhere"))
    problem = page.locator("#diagnostics li.diagnostic.error")
    await problem.first.wait_for()
    assert await problem.first.locator("p.title").inner_text() == "L'écran visé n'existe pas"
    fix = await problem.first.locator("p.fix").inner_text()
    assert fix.startswith("Que faire : Faites pointer `next`/`to` vers un identifiant d'écran")
    message = problem.first.locator("p.message")
    assert "'nowhere', which does not exist" in await message.inner_text()
    assert await message.get_attribute("lang") == "en"
    await pia.shot("editor-fr-diagnostic")
    assert pia.csp == []
