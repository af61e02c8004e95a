"""The Translate page over HTTP: a dialog's French texts downloaded as PO and XLIFF (by a
psychologist, and by a coordinator who may only download), a translated PO uploaded back: each
change shown (id, before, after), applied to the working copy, and submitted as a draft that
changes exactly that text; an unknown id and a checker error refused and shown, nothing
submitted; every download and upload audited."""

from __future__ import annotations

import json
import re

import aiohttp
from sqlalchemy import select

from storage.models import AuditEntryRow
from tests.studio.conftest import StudioWorld, csrf_of
from tests.studio.test_security import page

OLD = 'msgstr "Appelez maintenant."'
NEW_TEXT = "Appelez tout de suite, sans attendre."


async def download(
    studio: StudioWorld, client: aiohttp.ClientSession, fmt: str = "po"
) -> tuple[int, str, str]:
    url = f"{studio.url}/dialogs/crisis/strings?lang=fr&format={fmt}"
    async with client.get(url, allow_redirects=False) as response:
        return (
            response.status,
            response.headers.get("Content-Disposition", ""),
            await response.text(),
        )


async def upload(
    studio: StudioWorld,
    client: aiohttp.ClientSession,
    data: str,
    action: str = "check",
    name: str = "crisis.fr.po",
) -> tuple[int, str]:
    _, shown = await page(client, f"{studio.url}/dialogs/crisis/translate")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf_of(shown))
    form.add_field("action", action)
    form.add_field("file", data.encode("utf-8"), filename=name)
    url = f"{studio.url}/dialogs/crisis/translate"
    async with client.post(url, data=form, allow_redirects=False) as response:
        return response.status, await response.text()


def _detail(stored: object) -> dict[str, object]:
    found = json.loads(stored) if isinstance(stored, str) else stored
    return dict(found) if isinstance(found, dict) else {}


async def audit_details(studio: StudioWorld) -> list[tuple[str, str, dict[str, object]]]:
    async with studio.relais.db.connect() as conn:
        rows = await conn.execute(
            select(AuditEntryRow.action, AuditEntryRow.outcome, AuditEntryRow.detail).order_by(
                AuditEntryRow.seq
            )
        )
        found = [(r.action, r.outcome, _detail(r.detail)) for r in rows]
        await conn.rollback()
    return found


async def test_download_as_po_and_xliff(studio: StudioWorld) -> None:
    async with await studio.login("pia") as pia, await studio.login("cora") as cora:
        status, body = await page(pia, f"{studio.url}/dialogs/crisis")
        assert '<a href="/dialogs/crisis/translate">Translate (PO or XLIFF)</a>' in body
        status, body = await page(pia, f"{studio.url}/dialogs/crisis/translate")
        assert status == 200
        assert "Upload a translated file" in body
        status, disposition, po = await download(studio, pia)
        assert status == 200
        assert disposition == 'attachment; filename="crisis.fr.po"'
        assert 'msgctxt "crisis.emergency.text"\nmsgid "Call now."\n' + OLD in po
        assert 'msgctxt "crisis.first.sos.label"' in po

        # a coordinator downloads (the published version) but gets no upload form
        status, body = await page(cora, f"{studio.url}/dialogs/crisis/translate")
        assert status == 200
        assert "Download the texts to translate" in body
        assert "Upload a translated file" not in body
        status, disposition, xliff = await download(studio, cora, "xliff")
        assert status == 200
        assert disposition == 'attachment; filename="crisis.fr.xlf"'
        assert '<unit id="crisis.emergency.text">' in xliff
        assert '<target xml:space="preserve">Appelez maintenant.</target>' in xliff
        status, _ = await upload(studio, cora, po.replace(OLD, f'msgstr "{NEW_TEXT}"'))
        assert status == 403

        # the source language is not a translation; a made-up format is refused
        async with pia.get(f"{studio.url}/dialogs/crisis/strings?lang=en") as response:
            assert response.status == 400
            assert "original" in await response.text() or "source language" in (
                await response.text()
            )
        async with pia.get(f"{studio.url}/dialogs/crisis/strings?lang=fr&format=doc") as r:
            assert r.status == 400
    exports = [d for a, o, d in await audit_details(studio) if "export" in d]
    assert [(d["export"], d["format"], d["strings"]) for d in exports] == [
        ("fr", "po", 11),
        ("fr", "xliff", 11),
    ]


async def test_an_edited_po_changes_exactly_that_text_in_the_draft(studio: StudioWorld) -> None:
    source = (studio.pub.content / "dialogs" / "crisis.yaml").read_text("utf-8")
    async with await studio.login("pia") as pia:
        _, _, po = await download(studio, pia)
        edited = po.replace(OLD, f'msgstr "{NEW_TEXT}"')
        # checked first: the change shown, put into the working copy, nothing saved
        status, body = await upload(studio, pia, edited)
        assert status == 200, body
        assert "1 text(s) changed in your working copy" in body
        row = re.search(
            r"<tr><th scope=\"row\"><code>(.*?)</code></th><td>(.*?)</td><td>(.*?)</td>", body
        )
        assert row is not None
        assert row.groups() == ("crisis.emergency.text", "Appelez maintenant.", NEW_TEXT)
        assert await studio.relais.studio_drafts(studio.pub.actors["pia"]) == []
        _, editor = await page(pia, f"{studio.url}/dialogs/crisis/edit")
        assert NEW_TEXT in editor

        # the same file again, submitted: nothing more to change, so it goes through the
        # editor's button; a fresh working copy takes it and submits it at once
        status, body = await upload(studio, pia, edited)
        assert "This file changes no text" in body
        _, reset_page = await page(pia, f"{studio.url}/dialogs/crisis/edit")
        async with pia.post(
            f"{studio.url}/dialogs/crisis/edit",
            data={"csrf": csrf_of(reset_page), "action": "reset"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        status, body = await upload(studio, pia, edited, action="submit")
        assert status == 303, body
    ((draft, author),) = await studio.relais.studio_drafts(studio.pub.actors["pia"])
    assert author == "Pia"
    assert draft.source == source.replace("Appelez maintenant.", NEW_TEXT)
    found = [(a, o, d) for a, o, d in await audit_details(studio) if "changed" in d]
    assert [(a, o, d["changed"], d["applied"]) for a, o, d in found] == [
        ("dialog.draft", "ok", 1, 1),
        ("dialog.draft", "ok", 0, 0),
        ("dialog.draft", "ok", 1, 1),
    ]


async def test_an_unknown_id_or_a_checker_error_is_refused_and_shown(
    studio: StudioWorld,
) -> None:
    async with await studio.login("pia") as pia:
        _, _, po = await download(studio, pia)
        unknown = po.replace('msgctxt "crisis.emergency.text"', 'msgctxt "crisis.gone.text"')
        unknown = unknown.replace(OLD, f'msgstr "{NEW_TEXT}"')
        status, body = await upload(studio, pia, unknown, action="submit")
        assert status == 400
        assert "Nothing was changed" in body
        assert "crisis.gone.text" in body
        assert "the dialog has no text with this id" in body

        broken = po.replace(OLD, 'msgstr "Appelez {{ maintenant"')
        status, body = await upload(studio, pia, broken, action="submit")
        assert status == 400
        assert "Nothing was changed" in body
        line = (studio.pub.content / "dialogs" / "crisis.yaml").read_text("utf-8")
        number = (
            line.splitlines().index('    text: {en: "Call now.", fr: "Appelez maintenant."}') + 1
        )
        assert f"Line {number}, column" in body
        assert "RD040" in body

        status, body = await upload(studio, pia, "not a translation file at all \x00")
        assert status == 400
        _, editor = await page(pia, f"{studio.url}/dialogs/crisis/edit")
        assert "Appelez maintenant." in editor
        assert "maintenant&#34;" not in editor
    assert await studio.relais.studio_drafts(studio.pub.actors["pia"]) == []
    found = [d for _a, _o, d in await audit_details(studio) if "changed" in d]
    assert [(d["refused"] > 0, d["errors"] > 0, d["applied"]) for d in found][:2] == [
        (True, False, 0),
        (False, True, 0),
    ]


async def test_an_xliff_file_and_a_file_in_the_original_language(studio: StudioWorld) -> None:
    async with await studio.login("pia") as pia:
        _, _, xliff = await download(studio, pia, "xliff")
        target = '<target xml:space="preserve">Appelez maintenant.</target>'
        edited = xliff.replace(target, f'<target xml:space="preserve">{NEW_TEXT}</target>')
        status, body = await upload(studio, pia, edited, name="crisis.fr.xlf")
        assert status == 200, body
        assert "1 text(s) changed in your working copy" in body
        assert NEW_TEXT in body
        english = xliff.replace('trgLang="fr"', 'trgLang="en"')
        status, body = await upload(studio, pia, english, name="crisis.en.xlf")
        assert status == 400
        assert "This file is for en, the dialog&#39;s original language" in body
