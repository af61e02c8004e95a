"""What the Studio's reading pages show and audit: another team's guidance (`teams:`) is
invisible there as in chat (list, dialog page, history, pictures, drafts, card, editor,
translate), its denial audited; each page view writes one `studio.read`, the pictures it
embeds none; failed logins from one address are held back (429) after ten in ten minutes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.usecases.base import Actor
from tests.chat.conftest import Chat
from tests.publishing.conftest import texts
from tests.studio.conftest import StudioWorld, csrf_of
from tests.studio.test_security import audited, page, post

TEAM_B_ONLY = "team_b_only"


@pytest.fixture
def team_b_dialog(content: Path) -> str:
    """A crisis dialog limited to Team B, in the content the Studio's world loads."""
    crisis = (content / "dialogs" / "crisis.yaml").read_text("utf-8")
    limited = crisis.replace("id: crisis", f"id: {TEAM_B_ONLY}").replace(
        "tags: [crisis]", 'tags: [crisis]\nteams: ["Team B"]'
    )
    path = content / "dialogs" / f"{TEAM_B_ONLY}.yaml"
    path.write_text(limited, "utf-8")
    return limited


async def enrol_bea(studio: StudioWorld) -> None:
    """Bea, a psychologist of Team B."""
    relais = studio.relais
    await relais.ensure_team("Team B")
    invite = await relais.create_invite(role="psychologist", name="Bea", team="Team B")
    chat = Chat(studio.pub.service, studio.pub.clock, "user-bea")
    assert "Welcome" in texts(await chat.say(f"/start {invite.code}"))
    studio.pub.chats["bea"] = chat


async def test_another_teams_dialog_is_invisible(team_b_dialog: str, studio: StudioWorld) -> None:
    assert TEAM_B_ONLY in studio.pub.dialogs.library.ids()
    await enrol_bea(studio)
    async with await studio.login("pia") as pia, await studio.login("bea") as bea:
        _, mine = await page(pia, f"{studio.url}/")
        assert "/dialogs/crisis" in mine
        assert TEAM_B_ONLY not in mine
        _, theirs = await page(bea, f"{studio.url}/")
        assert f"/dialogs/{TEAM_B_ONLY}" in theirs
        assert (await page(bea, f"{studio.url}/dialogs/{TEAM_B_ONLY}"))[0] == 200
        before = len(await audited(studio))
        for path in ("", "/v1.svg", "/edit", "/translate", "/strings?lang=fr", "/card?lang=fr"):
            status, body = await page(pia, f"{studio.url}/dialogs/{TEAM_B_ONLY}{path}")
            assert status == 404, (path, status)
            assert "Team B" not in body
        status, body = await page(pia, f"{studio.url}/submit?dialog={TEAM_B_ONLY}")
        assert status == 200  # an empty form, as for a new dialog
        assert "Team B" not in body
        denied = (await audited(studio))[before:]
        assert ("studio.read", "denied") in denied
        assert ("dialog.card", "denied") in denied
        assert all(outcome != "ok" for _action, outcome in denied)

        # a draft of it (Team B's) is not on Team A's drafts page either
        _, body = await page(bea, f"{studio.url}/dialogs/{TEAM_B_ONLY}/edit")
        assert "Team B" in body
    source = team_b_dialog.replace("Call now.", "Call right now.")
    bea = await _actor(studio, "bea")
    await studio.pub.publishing.submit_draft(bea, f"{TEAM_B_ONLY}.yaml", source.encode("utf-8"))
    async with await studio.login("paul") as paul:
        _, drafts = await page(paul, f"{studio.url}/drafts")
        assert TEAM_B_ONLY not in drafts
        assert (await page(paul, f"{studio.url}/drafts/{TEAM_B_ONLY}"))[0] == 404
        assert (await page(paul, f"{studio.url}/drafts/{TEAM_B_ONLY}/picture.svg"))[0] == 404
        # nor may Paul decide on it by posting the form: the publishing use case refuses
        # (audited as denied) and the page answers as for no draft
        _, body = await page(paul, f"{studio.url}/drafts")
        draft = (await studio.relais.studio_drafts(bea))[0][0]
        form = {"csrf": csrf_of(body), "draft": draft.id, "digest": draft.checksum}
        before = len(await audited(studio))
        for action, extra in (("reject", {"comment": "Not like this."}), ("approve", {})):
            url = f"{studio.url}/drafts/{TEAM_B_ONLY}/{action}"
            status, body = await post(paul, url, {**form, **extra})
            assert status == 404, (action, status)
            assert "Team B" not in body
        assert ("dialog.approve", "denied") in (await audited(studio))[before:]
        assert ("dialog.approve", "ok") not in (await audited(studio))[before:]
        assert (await studio.relais.studio_drafts(bea))[0][0].status == "draft"
    assert await studio.relais.studio_drafts(studio.pub.actors["paul"]) == []
    assert len(await studio.relais.studio_drafts(bea)) == 1


async def _actor(studio: StudioWorld, name: str) -> Actor:
    actor = await studio.relais.identify("console", f"user-{name}")
    assert actor is not None
    return actor


async def test_one_audited_read_per_page_view(studio: StudioWorld) -> None:
    async with await studio.login("pia") as pia:
        before = len(await audited(studio))
        for path in ("/", "/dialogs/crisis", "/dialogs/crisis/v1.svg", "/drafts"):
            status, _ = await page(pia, f"{studio.url}{path}")
            assert status == 200, path
        reads = [a for a in (await audited(studio))[before:] if a[0] == "studio.read"]
        assert reads == [("studio.read", "ok")] * 3  # the picture was part of its page
        # the editor's views read the dialog once per session, then work on the copy
        before = len(await audited(studio))
        for path in ("/edit", "/structured", "/try", "/translate", "/edit"):
            assert (await page(pia, f"{studio.url}/dialogs/crisis{path}"))[0] == 200
        reads = [a for a in (await audited(studio))[before:] if a[0] == "studio.read"]
        assert reads == [("studio.read", "ok")]
    async with await studio.login("cora") as cora:
        # a picture not shown by a page of this session is read (and audited) by itself
        before = len(await audited(studio))
        assert (await page(cora, f"{studio.url}/dialogs/crisis/v1.svg"))[0] == 200
        assert (await page(cora, f"{studio.url}/dialogs/crisis/v9.svg"))[0] == 404
        found = (await audited(studio))[before:]
        assert found == [("studio.read", "ok"), ("studio.read", "ok")]


async def test_failed_logins_are_limited_per_address(studio: StudioWorld) -> None:
    bogus = f"{studio.url}/login/{'x' * 43}"
    async with aiohttp.ClientSession() as client:
        for _ in range(10):
            status, body = await post(client, bogus, {})
            assert status == 403
            assert "This link is not valid" in body
        async with client.post(bogus, allow_redirects=False) as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "600"
            body = await response.text()
        assert "Too many login links that did not work were tried from your address" in body
        assert "Wait 10 minutes" in body
        # even a good link waits: it is not looked at
        assert (await post(client, await studio.link("pia"), {}))[0] == 429
        # another address (behind the proxy: the address it adds) is not held back
        status, _ = await post(client, bogus, {}, **{"X-Forwarded-For": "203.0.113.9"})
        assert status == 403
        studio.pub.clock.advance(timedelta(minutes=10))
        async with client.post(await studio.link("pia"), allow_redirects=False) as response:
            assert response.status == 303
    failed = [a for a in await audited(studio) if a == ("studio.session_open", "failed")]
    assert len(failed) == 11  # the ten, and the other address's one: none while held back
