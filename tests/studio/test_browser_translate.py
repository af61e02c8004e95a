"""Translating a dialog in headless Chromium: from the dialog's page to its Translate page,
the French texts downloaded as a PO file, one translation changed in it, the file uploaded
back and checked (the change shown: id, before, after), then submitted as a draft for a
colleague's review. Each page is checked with axe-core (WCAG 2.2 A/AA) and photographed
under tests/artifacts/studio/; any Content Security Policy violation fails the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.studio.browser import axe_source, chromium
from tests.studio.conftest import StudioWorld
from tests.studio.test_browser_path import open_as

__all__ = ["chromium"]

pytestmark = pytest.mark.slow

OLD = 'msgstr "Appelez maintenant."'
NEW_FR = "Appelez tout de suite, sans attendre."


async def test_download_translate_upload_and_submit_in_a_browser(
    studio: StudioWorld, chromium: Any, tmp_path: Path
) -> None:
    pia = await open_as(chromium, axe_source())
    page = pia.page
    await page.goto(await studio.link("pia"))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{studio.url}/")

    await page.goto(f"{studio.url}/dialogs/crisis")
    await page.get_by_role("link", name="Translate (PO or XLIFF)").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis/translate")
    await pia.shot("translate-01-page")

    # the French texts as PO, downloaded with the browser
    await page.get_by_label("Language to translate into").select_option("fr")
    await page.get_by_label("PO (gettext: Poedit, Weblate)").check()
    async with page.expect_download() as event:
        await page.get_by_role("button", name="Download").click()
    download = await event.value
    assert download.suggested_filename == "crisis.fr.po"
    saved = tmp_path / "crisis.fr.po"
    await download.save_as(saved)
    po = saved.read_text("utf-8")
    assert OLD in po

    # one translation changed, the file uploaded and checked: the change shown
    edited = tmp_path / "crisis.fr.edited.po"
    edited.write_text(po.replace(OLD, f'msgstr "{NEW_FR}"'), "utf-8")
    await page.get_by_label("Translated file (.po or .xlf)").set_input_files(str(edited))
    await page.get_by_role("button", name="Check and put into my working copy").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis/translate")
    assert "1 text(s) changed" in await page.get_by_role("status").first.inner_text()
    row = page.locator("table.changes tbody tr").first
    assert await row.locator("th").inner_text() == "crisis.emergency.text"
    assert [await cell.inner_text() for cell in await row.locator("td").all()] == [
        "Appelez maintenant.",
        NEW_FR,
    ]
    await pia.shot("translate-02-checked")

    # submitted for review: the same workflow as the editor's
    await page.get_by_role("button", name="Submit as draft for review", exact=True).click()
    await page.wait_for_url(f"{studio.url}/drafts/crisis?done=submitted")
    await pia.shot("translate-03-submitted")
    ((draft, _author),) = await studio.relais.studio_drafts(studio.pub.actors["pia"])
    assert NEW_FR in draft.source
    assert "Appelez maintenant." not in draft.source
