"""The whole Studio path in headless Chromium: `/studio` in chat gives a link, the link logs
in, the dialog list, a dialog's page, a draft with an error (diagnostic at its line, text
kept), the fixed draft, a second psychologist's own link, the review with its diff, an
approval with the keyboard, publishing, the new version in the history, a rollback.

Every main page is checked with axe-core (WCAG 2.2 A/AA) and saved as a screenshot under
tests/artifacts/studio/. Any Content Security Policy violation fails the test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.studio.browser import ARTIFACTS, accessibility_violations, axe_source, chromium
from tests.studio.conftest import StudioWorld

__all__ = ["chromium"]

pytestmark = pytest.mark.slow

OLD_FR = "Appelez maintenant."
NEW_FR = "Appelez tout de suite, sans attendre."


class Checked:
    """A browser page whose every main view is checked and photographed."""

    def __init__(self, page: Any, axe: str, csp: list[str]) -> None:
        self.page, self.axe, self.csp = page, axe, csp

    async def shot(self, name: str) -> None:
        violations = await accessibility_violations(self.page, self.axe)
        assert violations == [], f"{name}: {violations}"
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert self.csp == [], f"{name}: {self.csp}"


async def open_as(browser: Any, axe: str) -> Checked:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    csp: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return Checked(page, axe, csp)


async def tab_to(page: Any, label: str, limit: int = 60) -> None:
    """Move the keyboard focus with Tab until it is on the control named `label`."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement && document.activeElement.innerText")
        if focused and focused.strip() == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


async def test_submit_review_publish_rollback_in_a_browser(
    studio: StudioWorld, chromium: Any
) -> None:
    axe = axe_source()
    pia = await open_as(chromium, axe)
    page = pia.page

    # /studio in chat: a link that logs pia in (GET shows a button; the button logs in)
    await page.goto(await studio.link("pia"))
    await pia.shot("01-login")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{studio.url}/")
    assert await page.get_by_role("heading", name="Dialogs").is_visible()
    assert await page.get_by_text("Logged in as Pia").is_visible()
    await pia.shot("02-dialogs")

    # a dialog's page: its picture and history
    await page.get_by_role("link", name="What is happening?").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis")
    picture = page.get_by_role("img", name="The tree of screens and options of What is")
    assert await picture.evaluate("img => img.complete && img.naturalWidth > 0")
    history = page.get_by_role("table", name="Published versions, newest first")
    assert "shipped with Relais" in await history.inner_text()
    await pia.shot("03-dialog")

    # the pocket card of a crisis dialog, in French, to print
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Pocket card in French (to print)").click()
    card = await downloading.value
    assert card.suggested_filename in ("crisis-fr.pdf", "crisis-fr.html")
    card_path = await card.path()
    assert card_path.read_bytes().startswith((b"%PDF", b"<!"))

    # a new version with an error: the diagnostic names its line; the text is kept
    await page.get_by_role("link", name="Submit a new version").click()
    source = page.get_by_label("Dialog file (YAML)")
    original = await source.input_value()
    assert OLD_FR in original
    broken = original.replace("next: note", "next: nowhere")
    await source.fill(broken)
    await page.get_by_role("button", name="Check and submit for review").click()
    alert = page.get_by_role("alert")
    assert "RD0" in await alert.inner_text()
    assert "crisis.yaml:32:11: RD024 error" in await alert.inner_text()
    assert await page.get_by_label("Dialog file (YAML)").input_value() == broken
    await pia.shot("04-submit-with-error")

    # fixed, with the French sentence changed: a draft waiting for review
    await page.get_by_label("Dialog file (YAML)").fill(original.replace(OLD_FR, NEW_FR))
    await page.get_by_role("button", name="Check and submit for review").click()
    await page.wait_for_url(f"{studio.url}/drafts/crisis?done=submitted")
    assert "Waiting for a colleague's approval" in await page.inner_text("main")
    assert await page.get_by_role("button", name="Publish").count() == 0
    await pia.shot("05-own-draft")

    # paul, through his own link, reviews: the diff shows exactly the French change
    paul = await open_as(chromium, axe)
    review = paul.page
    await review.goto(await studio.link("paul"))
    await review.get_by_role("button", name="Log in").click()
    await review.wait_for_url(f"{studio.url}/")
    await review.get_by_role("link", name="Drafts").click()
    await paul.shot("06-drafts")
    await review.get_by_role("link", name="crisis").click()
    await review.wait_for_url(f"{studio.url}/drafts/crisis")
    diff = review.get_by_role("table", name="The dialog file")
    assert await diff.locator("del").all_inner_texts() == [
        f'    text: {{en: "Call now.", fr: "{OLD_FR}"}}'
    ]
    assert await diff.locator("ins").all_inner_texts() == [
        f'    text: {{en: "Call now.", fr: "{NEW_FR}"}}'
    ]
    assert "Every path of the dialog was walked" in await review.inner_text("main")
    before = review.get_by_role("img", name="published version 1")
    after = review.get_by_role("img", name="of this draft")
    for img in (before, after):
        assert await img.evaluate("img => img.complete && img.naturalWidth > 0")
    await paul.shot("07-review")

    # the pictures in French: the draft's picture shows the new French sentence
    await review.get_by_role("link", name="French").click()
    await review.wait_for_url(f"{studio.url}/drafts/crisis?lang=fr#pictures-title")
    src = await after.get_attribute("src")
    assert src is not None
    assert "lang=fr" in src
    drawn = await review.request.get(f"{studio.url}{src}")
    assert drawn.headers["content-type"] == "image/svg+xml"
    assert NEW_FR in await drawn.text()

    # approved with the keyboard alone
    await review.locator("body").focus()
    await tab_to(review, "Approve this text")
    await review.keyboard.press("Enter")
    await review.wait_for_url(f"{studio.url}/drafts/crisis?done=approved")
    assert "You approved this draft" in await review.inner_text("main")
    await paul.shot("08-approved")

    # a coordinator reads the same draft, and may not decide
    cora = await open_as(chromium, axe)
    await cora.page.goto(await studio.link("cora"))
    await cora.page.get_by_role("button", name="Log in").click()
    await cora.page.wait_for_url(f"{studio.url}/")
    await cora.page.goto(f"{studio.url}/drafts/crisis")
    assert "psychologists review it" in await cora.page.inner_text("main")
    assert await cora.page.get_by_role("button", name="Approve this text").count() == 0
    await cora.shot("09-coordinator-reads")
    await cora.page.goto(f"{studio.url}/submit")
    assert "This page is for psychologists." in await cora.page.inner_text("main")
    await cora.shot("10-coordinator-refused")

    # pia publishes: version 2 in the history, reviewed by Paul
    await page.reload()
    await page.get_by_role("button", name="Publish").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis?done=published")
    rows = (
        await page.get_by_role("table", name="Published versions")
        .locator("tbody tr")
        .all_inner_texts()
    )
    assert rows[0].split()[0] == "2", rows
    assert "reviewed draft\tPia\tPaul" in rows[0], rows
    await pia.shot("11-published")
    running = studio.pub.dialogs.library.get("crisis")
    assert running is not None
    assert running.version == 2
    assert NEW_FR in running.source_text

    # and rolls back to version 1: version 3, a copy of 1, runs from now on
    await page.get_by_role("button", name="Roll back to version 1").click()
    await page.wait_for_url(f"{studio.url}/dialogs/crisis?done=rolled_back")
    rows = (
        await page.get_by_role("table", name="Published versions")
        .locator("tbody tr")
        .all_inner_texts()
    )
    assert rows[0].split()[0] == "3", rows
    assert "rollback" in rows[0], rows
    await pia.shot("12-rolled-back")
    running = studio.pub.dialogs.library.get("crisis")
    assert running is not None
    assert running.version == 3
    assert OLD_FR in running.source_text
