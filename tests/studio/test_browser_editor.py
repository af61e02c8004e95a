"""Editing and trying a dialog in headless Chromium: open a dialog in the editor, introduce
an error and see its diagnostic at its line (live, as one types), fix it, change a sentence
in the French text on the screen's card, play the dialog in French and see the changed
sentence, run its tests, and submit it as a draft. Every page is checked with axe-core
(WCAG 2.2 A/AA) and photographed under tests/artifacts/studio/; any Content Security
Policy violation fails the test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.studio.browser import axe_source, chromium
from tests.studio.conftest import StudioWorld
from tests.studio.test_browser_path import open_as, tab_to

__all__ = ["chromium"]

pytestmark = pytest.mark.slow

OLD_FR = "Appelez maintenant."
NEW_FR = "Appelez tout de suite, sans attendre."


async def test_edit_translate_try_and_submit_in_a_browser(
    studio: StudioWorld, chromium: Any
) -> None:
    pia = await open_as(chromium, axe_source())
    page = pia.page
    await page.goto(await studio.link("pia"))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{studio.url}/")

    # the dialog's page leads to the editor: the text view, clean
    await page.goto(f"{studio.url}/dialogs/crisis")
    await page.get_by_role("link", name="Edit, translate and try").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis/edit")
    source = page.get_by_label("Dialog text (YAML)")
    original = await source.input_value()
    assert OLD_FR in original
    summary = page.locator("#summary")
    assert await summary.inner_text() == "0 error(s), 0 warning(s)."
    await pia.shot("editor-01-text")

    # an error typed in: its diagnostic appears beside the text with its line, and the
    # line is marked in the gutter, without a page load
    broken = original.replace("next: note", "next: nowhere")
    line = broken.splitlines().index("    next: nowhere") + 1
    await source.fill(broken)
    problem = page.locator("#diagnostics li.diagnostic.error")
    await problem.first.wait_for()
    said = await problem.first.inner_text()
    assert f"Line {line}, column 11" in said
    assert "RD024" in said
    assert "'nowhere', which does not exist" in said
    marked = page.locator(f'#gutter li[data-line="{line}"].mark-error')
    await marked.wait_for()
    assert "RD024 node 'ask' leads to 'nowhere'" in (await marked.get_attribute("title") or "")
    assert (await summary.inner_text()).startswith("1 error(s)")
    assert page.url == f"{studio.url}/dialogs/crisis/edit"
    # the key's help, and "Go to line" puts the cursor on it
    await problem.first.get_by_role("button", name=f"Go to line {line}").click()
    selected = await source.evaluate(
        "area => area.value.slice(area.selectionStart, area.selectionEnd)"
    )
    assert selected == "    next: nowhere"
    assert "next node id" in await page.locator("#key-help").inner_text()
    await pia.shot("editor-02-diagnostic")

    # fixed: the problem goes away
    await source.fill(original)
    await page.locator("#diagnostics li.diagnostic").first.wait_for(state="detached")
    assert await summary.inner_text() == "0 error(s), 0 warning(s)."

    # the French sentence changed on the screen's card (keyboard only for the saving)
    await page.get_by_role("link", name="Screens").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis/structured")
    card = page.locator("#card-emergency")
    french = card.get_by_label("French")
    assert await french.input_value() == OLD_FR
    assert await card.get_by_label("English").input_value() == "Call now."
    await pia.shot("editor-03-screens")
    await french.fill(NEW_FR)
    await tab_to(page, "Save screen emergency")
    await page.keyboard.press("Enter")
    saved = "/dialogs/crisis/structured?saved=emergency#card-emergency"
    await page.wait_for_url(f"{studio.url}{saved}")
    assert "Saved: screen emergency." in await page.get_by_role("status").first.inner_text()
    assert await page.locator("#card-emergency").get_by_label("French").input_value() == NEW_FR
    await page.get_by_role("link", name="Text (YAML)").click()
    text = await page.get_by_label("Dialog text (YAML)").input_value()
    assert text == original.replace(OLD_FR, NEW_FR)  # one sentence, comments and layout kept

    # played in French: the changed sentence, and the page described, not sent
    await page.get_by_role("link", name="Try and test").click()
    await page.get_by_label("French").check()
    await page.get_by_role("button", name="Start").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis/try#latest")
    transcript = page.locator("ol.transcript")
    assert "Que se passe-t-il, Studio ?" in await transcript.inner_text()
    await page.get_by_role("button", name="Contacts d'urgence").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis/try#latest")
    said = await transcript.inner_text()
    assert NEW_FR in said
    assert OLD_FR not in said
    assert "These contacts from the team's directory would be shown" in said
    await page.get_by_role("button", name="Run tests").click()
    assert "0 failed." in await page.locator(".tests").inner_text()
    await pia.shot("editor-04-try")

    # submitted as a draft: the same workflow as chat and the command line
    await page.get_by_role("link", name="Text (YAML)").click()
    await page.get_by_role("button", name="Submit as draft for review").click()
    await page.wait_for_url(f"{studio.url}/drafts/crisis?done=submitted")
    assert "Waiting for a colleague's approval" in await page.inner_text("main")
    await pia.shot("editor-05-submitted")
    drafts = await studio.relais.studio_drafts(studio.pub.actors["pia"])
    ((draft, author),) = drafts
    assert author == "Pia"
    assert draft.source == original.replace(OLD_FR, NEW_FR)
