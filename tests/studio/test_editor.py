"""The Studio's editor over HTTP (aiohttp client, the real app, database and publishing use
cases): the text view with live diagnostics, the structured view's one-thing edits, trying
the dialog with simulated notes, check-ins and pages, its tests, and Submit as draft."""

from __future__ import annotations

import re

import aiohttp

from tests.studio.conftest import StudioWorld, csrf_of

OLD_FR = "Appelez maintenant."
NEW_FR = "Appelez tout de suite, sans attendre."


async def _page(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.text()


async def _post(
    client: aiohttp.ClientSession, url: str, form: dict[str, str], status: int = 303
) -> str:
    async with client.post(url, data=form, allow_redirects=False) as response:
        body = await response.text()
        assert response.status == status, body
        return body if status != 303 else response.headers["Location"]


def _textarea(page: str) -> str:
    found = re.search(r'<textarea id="source" name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    import html

    return html.unescape(found.group(1))


async def test_the_text_view_shows_the_dialog_and_checks_it_live(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/edit")
        text = _textarea(page)
        assert OLD_FR in text
        assert "0 error(s), 0 warning(s)." in page
        token = csrf_of(page)
        broken = text.replace("next: note", "next: nowhere")
        async with client.post(
            f"{studio.url}/dialogs/crisis/check", data={"csrf": token, "text": broken}
        ) as response:
            assert response.status == 200
            found = await response.json()
        assert found["ok"] is False
        (problem,) = [d for d in found["diagnostics"] if d["code"] == "RD024"]
        assert broken.splitlines()[problem["line"] - 1].strip() == "next: nowhere"
        assert problem["fix"]
        assert found["summary"].startswith("1 error(s)")
        # the text is kept: the page shows it with the diagnostic beside its line
        page = await _page(client, f"{studio.url}/dialogs/crisis/edit")
        assert _textarea(page) == broken
        assert f'<li data-line="{problem["line"]}" class="mark-error" title="RD024 ' in page
        assert f"Line {problem['line']}, column" in page
        # without the form token, nothing is checked
        async with client.post(
            f"{studio.url}/dialogs/crisis/check", data={"text": broken}
        ) as response:
            assert response.status == 403


async def test_only_psychologists_edit(studio: StudioWorld) -> None:
    client = await studio.login("cora")
    async with client:
        for path in ("edit", "structured", "try"):
            async with client.get(f"{studio.url}/dialogs/crisis/{path}") as response:
                assert response.status == 403, path
        async with client.get(f"{studio.url}/dialogs/crisis/edit", allow_redirects=False) as r:
            assert "Appelez" not in await r.text()
    async with aiohttp.ClientSession() as anonymous:
        url = f"{studio.url}/dialogs/crisis/edit"
        async with anonymous.get(url, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/login"


async def test_a_french_sentence_changed_in_the_structured_view(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/structured")
        assert 'id="card-emergency"' in page
        assert 'name="text:text:fr"' in page
        location = await _post(
            client,
            f"{studio.url}/dialogs/crisis/structured",
            {
                "csrf": csrf_of(page),
                "action": "save",
                "node": "emergency",
                "text:text:en": "Call now.",
                "text:text:fr": NEW_FR,
            },
        )
        assert location == "/dialogs/crisis/structured?saved=emergency#card-emergency"
        text = _textarea(await _page(client, f"{studio.url}/dialogs/crisis/edit"))
        assert f'text: {{en: "Call now.", fr: "{NEW_FR}"}}' in text
        assert text.startswith("# A small crisis dialog for the chat-layer tests")
        page = await _page(client, f"{studio.url}/dialogs/crisis/structured?saved=emergency")
        assert "Saved: screen emergency." in page
        # an impossible edit says why, and changes nothing
        body = await _post(
            client,
            f"{studio.url}/dialogs/crisis/structured",
            {
                "csrf": csrf_of(page),
                "action": "add_screen",
                "screen_id": "first",
                "screen_kind": "end",
            },
            status=400,
        )
        assert "There is already a screen first" in body


async def test_missing_translation_is_highlighted(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/edit")
        text = _textarea(page).replace(
            'label: {en: "A difficult talk", fr: "Une discussion difficile"}',
            'label: {en: "A difficult talk"}',
        )
        await _post(
            client,
            f"{studio.url}/dialogs/crisis/edit",
            {"csrf": csrf_of(page), "action": "check", "text": text},
            status=200,
        )
        page = await _page(client, f"{studio.url}/dialogs/crisis/structured")
        assert "Missing translation: FR" in page
        assert '<div class="cell missing" lang="fr">' in page


async def test_trying_in_french_describes_what_would_happen(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/try")
        token = csrf_of(page)
        url = f"{studio.url}/dialogs/crisis/try"
        await _post(client, url, {"csrf": token, "action": "start", "lang": "fr"})
        page = await _page(client, url)
        assert "Que se passe-t-il, Studio ?" in page
        for answer in ("talk", "Il a crié", "yes", "yes"):
            await _post(client, url, {"csrf": token, "action": "answer", "answer": answer})
        page = await _page(client, url)
        assert "A note would be filed on the case: “Debrief: Il a crié”" in page
        assert "A check-in would be scheduled in 1d" in page
        assert "The dialog is over." in page
        await _post(client, url, {"csrf": token, "action": "start", "lang": "fr"})
        await _post(client, url, {"csrf": token, "action": "answer", "answer": "sos"})
        page = await _page(client, url)
        assert "Appelez maintenant." in page
        assert "These contacts from the team&#39;s directory would be shown" in page
        # /sos from any screen: the emergency contacts, urgently
        await _post(client, url, {"csrf": token, "action": "start", "lang": "en"})
        await _post(client, url, {"csrf": token, "action": "sos"})
        page = await _page(client, url)
        assert "What is happening, Studio?" in page
        assert "These contacts would be shown, urgently: Emergency services" in page
    assert await studio.relais.studio_drafts(studio.pub.actors["pia"]) == []


async def test_run_tests_shows_each_result(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/try")
        body = await _post(
            client, f"{studio.url}/dialogs/crisis/tests", {"csrf": csrf_of(page)}, status=200
        )
        assert "passed, 0 failed." in body
        assert '<td class="pass">passed</td>' in body


async def test_submit_as_draft_uses_the_publishing_workflow(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/edit")
        text = _textarea(page).replace(OLD_FR, NEW_FR)
        broken = text.replace("next: note", "next: nowhere")
        body = await _post(
            client,
            f"{studio.url}/dialogs/crisis/edit",
            {"csrf": csrf_of(page), "action": "submit", "text": broken},
            status=400,
        )
        assert "Nothing was saved" in body
        location = await _post(
            client,
            f"{studio.url}/dialogs/crisis/edit",
            {"csrf": csrf_of(page), "action": "submit", "text": text},
        )
        assert location == "/drafts/crisis?done=submitted"
    drafts = await studio.relais.studio_drafts(studio.pub.actors["pia"])
    ((draft, author),) = drafts
    assert author == "Pia"
    assert NEW_FR in draft.source


async def test_the_title_is_translated_on_the_dialog_card(studio: StudioWorld) -> None:
    client = await studio.login("pia")
    async with client:
        page = await _page(client, f"{studio.url}/dialogs/crisis/structured")
        assert 'id="card-dialog"' in page
        location = await _post(
            client,
            f"{studio.url}/dialogs/crisis/structured",
            {
                "csrf": csrf_of(page),
                "action": "save_dialog",
                "text:title:en": "What is happening?",
                "text:title:fr": "Que se passe-t-il donc ?",
                "text:summary:en": "Test crisis entry",
                "text:summary:fr": "Entrée de crise de test",
            },
        )
        assert location == "/dialogs/crisis/structured?saved_dialog=1#card-dialog"
        page = await _page(client, f"{studio.url}{location.split('#')[0]}")
        assert "Saved: the title and summary." in page
        text = _textarea(await _page(client, f"{studio.url}/dialogs/crisis/edit"))
        assert 'title: {en: "What is happening?", fr: "Que se passe-t-il donc ?"}' in text


async def test_someone_elses_open_draft_is_named_and_wins(studio: StudioWorld) -> None:
    paul = await studio.login("paul")
    async with paul:
        page = await _page(paul, f"{studio.url}/dialogs/crisis/edit")
        text = _textarea(page).replace(OLD_FR, NEW_FR)
        await _post(
            paul,
            f"{studio.url}/dialogs/crisis/edit",
            {"csrf": csrf_of(page), "action": "submit", "text": text},
        )
    pia = await studio.login("pia")
    async with pia:
        page = await _page(pia, f"{studio.url}/dialogs/crisis/edit")
        assert "Paul has an open draft of this dialog" in page
        assert OLD_FR in _textarea(page)  # the version the bot runs, not Paul's draft
        body = await _post(
            pia,
            f"{studio.url}/dialogs/crisis/edit",
            {"csrf": csrf_of(page), "action": "submit", "text": _textarea(page)},
            status=409,
        )
        assert "Paul" in body
