"""Drafts through the Studio's forms (HTTP): a file chosen rather than pasted, its transcript
tests as a second file, sending back with a comment, the author told and refused to publish,
a withdrawn draft."""

from __future__ import annotations

import aiohttp

from tests.studio.conftest import StudioWorld, csrf_of
from tests.studio.test_security import page, post

TESTS = """dialog: crisis
tests:
  - name: emergency in French
    lang: fr
    steps:
      - bot: "Que se passe-t-il"
      - choose: sos
      - expect: {contacts: [emergency]}
"""


async def upload(
    studio: StudioWorld, client: aiohttp.ClientSession, file_name: str, text: str
) -> tuple[int, str]:
    _, form_page = await page(client, f"{studio.url}/submit")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf_of(form_page))
    form.add_field("source", "")
    form.add_field("file", text.encode("utf-8"), filename=file_name)
    async with client.post(f"{studio.url}/drafts", data=form) as response:
        return response.status, await response.text()


async def test_files_tests_and_sending_back(studio: StudioWorld) -> None:
    source = (studio.pub.content / "dialogs" / "crisis.yaml").read_text("utf-8")
    changed = source.replace("Call now.", "Call right now.")
    async with await studio.login("pia") as pia, await studio.login("paul") as paul:
        status, body = await upload(studio, pia, "crisis.yaml", changed)
        assert status == 200, body
        assert "Draft saved" in body
        assert "No transcript tests" in body
        status, body = await upload(studio, pia, "crisis.test.yaml", TESTS)
        assert status == 200
        assert "Transcript tests: 1 passed, 0 failed." in body

        # a broken file chosen: the diagnostics, and its text kept in the form to fix it
        status, body = await upload(
            studio, pia, "crisis.yaml", changed.replace("kind: end", "kind: fin")
        )
        assert status == 400
        assert "crisis.yaml:" in body
        assert "kind: fin" in body

        # sent back with a comment: the author reads it and cannot publish
        _, shown = await page(paul, f"{studio.url}/drafts/crisis")
        draft = (await studio.relais.studio_drafts(studio.pub.actors["paul"]))[0][0]
        form = {"csrf": csrf_of(shown), "draft": draft.id, "digest": draft.checksum}
        status, body = await post(paul, f"{studio.url}/drafts/crisis/reject", form)
        assert status == 400  # a comment is needed
        assert "Write a comment for the author" in body
        status, _ = await post(
            paul, f"{studio.url}/drafts/crisis/reject", {**form, "comment": "Say who to call."}
        )
        assert status == 303
        _, body = await page(pia, f"{studio.url}/drafts/crisis")
        assert "Comment from Paul" in body
        assert "Say who to call." in body
        assert "sent back" in body
        status, body = await post(
            pia, f"{studio.url}/drafts/crisis/publish", {"csrf": csrf_of(body), "draft": draft.id}
        )
        assert status == 409
        assert "was sent back" in body
        status, _ = await post(
            pia, f"{studio.url}/drafts/crisis/withdraw", {"csrf": csrf_of(body)}
        )
        assert status == 303
        _, body = await page(pia, f"{studio.url}/drafts?done=withdrawn")
        assert "The draft was withdrawn." in body
        assert "There are no open drafts." in body
