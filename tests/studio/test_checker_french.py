"""A diagnostic's title and what to do in the reader's language (HTTP, the real app): a French
psychologist who breaks a `next:` sees the French of RD024 in the live check's JSON, on the
text view, on the structured view, on the Submit page, and the French of RD040 on the
Translate page; the checker's own message stays in English. An English psychologist sees the
English of `dialogs.diagnostics.CODES`, as before."""

from __future__ import annotations

import html

import aiohttp

from dialogs.diagnostics import CODES
from tests.studio.conftest import StudioWorld, csrf_of
from tests.studio.test_drafts import upload as submit_file
from tests.studio.test_editor import _page, _textarea
from tests.studio.test_translate import OLD, download
from tests.studio.test_translate import upload as upload_translation

TITLE_FR = "L'écran visé n'existe pas"
FIX_FR = (
    "Faites pointer `next`/`to` vers un identifiant d'écran existant (voir l'indication pour "
    "un nom proche)."
)
MESSAGE = "leads to 'nowhere'"


async def _live_check(
    studio: StudioWorld, client: aiohttp.ClientSession
) -> tuple[str, dict[str, object]]:
    """The dialog's text with one `next:` broken, and the RD024 the live check answers."""
    page = await _page(client, f"{studio.url}/dialogs/crisis/edit")
    broken = _textarea(page).replace("next: note", "next: nowhere")
    async with client.post(
        f"{studio.url}/dialogs/crisis/check", data={"csrf": csrf_of(page), "text": broken}
    ) as response:
        assert response.status == 200
        found = await response.json()
    (problem,) = [d for d in found["diagnostics"] if d["code"] == "RD024"]
    return broken, problem


async def _text(client: aiohttp.ClientSession, url: str) -> str:
    """A page as a reader sees it (entities such as &#39; read as characters)."""
    return html.unescape(await _page(client, url))


async def test_a_french_psychologist_reads_what_to_do_in_french(studio: StudioWorld) -> None:
    await studio.pub.chat("pia").say("/lang fr")
    async with await studio.login("pia") as pia:
        broken, problem = await _live_check(studio, pia)
        assert problem["title"] == TITLE_FR
        assert problem["fix"] == FIX_FR
        assert MESSAGE in str(problem["message"])  # the checker's words, with the node ids

        # the text view, drawn by the server, keeps the broken text and says the same
        drawn = await _page(pia, f"{studio.url}/dialogs/crisis/edit")
        assert _textarea(drawn) == broken
        page = html.unescape(drawn)
        assert f'<p class="title">{TITLE_FR}</p>' in page
        assert f'<p class="fix">Que faire : {FIX_FR}</p>' in page
        assert CODES["RD024"].fix not in page

        structured = await _text(pia, f"{studio.url}/dialogs/crisis/structured")
        assert f"RD024 – {TITLE_FR}" in structured
        assert f'<span class="fix">Que faire : {FIX_FR}</span>' in structured

        status, submitted = await submit_file(studio, pia, "crisis.yaml", broken)
        assert status == 400
        assert f"{TITLE_FR}. Que faire : {FIX_FR}" in html.unescape(submitted)

        _, _, po = await download(studio, pia)
        status, translated = await upload_translation(
            studio, pia, po.replace(OLD, 'msgstr "Appelez {{ maintenant"'), action="check"
        )
        assert "RD040" in translated
        said = html.unescape(translated)
        assert '<p class="title">Le modèle ne peut pas être lu</p>' in said
        assert "Que faire : Corrigez la syntaxe {{ ... }} ou {% ... %} dans le texte." in said


async def test_an_english_psychologist_reads_the_checker_s_english(studio: StudioWorld) -> None:
    english = CODES["RD024"]
    async with await studio.login("paul") as paul:
        _broken, problem = await _live_check(studio, paul)
        assert (problem["title"], problem["fix"]) == (english.title, english.fix)
        page = await _text(paul, f"{studio.url}/dialogs/crisis/edit")
        assert f'<p class="fix">What to do: {english.fix}</p>' in page
        assert TITLE_FR not in page
        structured = await _text(paul, f"{studio.url}/dialogs/crisis/structured")
        assert f"RD024 – {english.title}" in structured
