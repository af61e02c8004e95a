"""The "Translate" page of a dialog: its texts for translators in one language, as PO or
XLIFF with stable ids (`dialogs.translations`), and a translated file read back.

    GET  /dialogs/{id}/translate           the page: download, and (psychologists) upload
    GET  /dialogs/{id}/strings?lang=&format=   the file to translate (Content-Disposition)
    POST /dialogs/{id}/translate           multipart: csrf, file, action=check|submit

A download is audited (`studio_strings`); a psychologist's download is of the text they are
editing (their working copy, bot/studio/workspace.py), a coordinator's of the newest version.
An upload (psychologists only) is applied to the working copy's text and checked as the
editor checks it; the page shows each text changed (id, old, new), the stale ones (their
source changed since the export), the refused entries (unknown ids, another dialog) and the
checker's problems with their lines. Nothing is applied when anything is refused or the
checker finds an error. When it is clean the working copy takes the result (action=check:
the psychologist then tries it and submits it from the editor) or it is also submitted as a
draft at once (action=submit) through `submit_document`, the same use case as the editor's
and chat's, for a second psychologist to review. Each upload is audited with its counts
(`studio_strings_imported`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.chat.catalog import LANGUAGES
from bot.errors import NotFound
from bot.policy import Action
from bot.publishing.records import PublishRefused
from bot.studio.context import (
    context_of,
    may,
    render,
    require_psychologist,
    require_reader,
    text,
)
from bot.studio.editor import check_copy, dialog_id_of
from bot.studio.pages import DIALOG_ID, read_dialog
from bot.studio.refusals import refusal
from bot.studio.usecases import OtherTeamsDialog
from bot.studio.workspace import WorkingCopy, working_copy
from bot.usecases.base import Actor
from dialogs.errors import DialogError
from dialogs.live import LiveDiagnostic
from dialogs.reader import LANG_RE
from dialogs.roundtrip import load_roundtrip, text_refs
from dialogs.translations import (
    FORMATS,
    extract_strings,
    import_translations,
    read_translations,
)

__all__ = ["ImportView", "routes"]

routes = web.RouteTableDef()

_TYPES = {"po": "text/x-gettext-translation", "xliff": "application/xliff+xml"}


@dataclass(slots=True)
class ImportView:
    """What an uploaded translation would do to the working copy."""

    lang: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # id, old, new
    stale: list[tuple[str, str]] = field(default_factory=list)  # id, the source now
    unknown: list[tuple[str, str]] = field(default_factory=list)  # id, where in the file
    problems: list[str] = field(default_factory=list)
    diagnostics: tuple[LiveDiagnostic, ...] = ()
    errors: int = 0
    result: str = ""

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.problems and not self.errors


async def _source(request: web.Request, actor: Actor, dialog_id: str) -> tuple[str, str]:
    """The text translated from, and where it comes from ("draft", "version N"): a
    psychologist's working copy, else the newest published version (or the open draft)."""
    if may(actor, Action.DRAFT_DIALOG):
        copy = await working_copy(request, actor, dialog_id)
        return copy.text, copy.origin
    found = await read_dialog(request, actor, dialog_id)
    if found.newest is not None:
        return found.newest.source, f"version {found.newest.version}"
    assert found.draft is not None  # read_dialog: one of the two, else 404
    return found.draft.draft.source, "draft"


def _languages(source: str, dialog_id: str) -> tuple[str, list[str]]:
    """The dialog's source language and the languages it may be translated into."""
    try:
        data = load_roundtrip(source, f"{dialog_id}.yaml").data
    except DialogError:
        return "", []
    listed = data.get("languages")
    languages = [str(x) for x in listed] if isinstance(listed, list) and listed else ["en"]
    targets = [x for x in dict.fromkeys([*languages[1:], *LANGUAGES]) if x != languages[0]]
    return languages[0], targets


def _page(
    request: web.Request,
    dialog_id: str,
    source: str,
    origin: str,
    *,
    status: int = 200,
    **values: object,
) -> web.Response:
    source_lang, targets = _languages(source, dialog_id)
    return render(
        request,
        "translate.html",
        status=status,
        dialog_id=dialog_id,
        origin=origin,
        draft_by="",
        source_lang=source_lang,
        targets=targets,
        formats=FORMATS,
        section="dialogs",
        **{"view": None, **values},
    )


@routes.get(f"/dialogs/{DIALOG_ID}/translate")
async def translate_page(request: web.Request) -> web.Response:
    actor = require_reader(request)
    dialog_id = dialog_id_of(request)
    source, origin = await _source(request, actor, dialog_id)
    return _page(request, dialog_id, source, origin)


@routes.get(f"/dialogs/{DIALOG_ID}/strings")
async def download(request: web.Request) -> web.StreamResponse:
    actor = require_reader(request)
    context = context_of(request)
    dialog_id = dialog_id_of(request)
    lang, fmt = request.query.get("lang", ""), request.query.get("format", "po")
    if not LANG_RE.match(lang) or len(lang) > 16 or fmt not in FORMATS:
        raise web.HTTPBadRequest(text=text(request, "translate.bad_choice"))
    source = None
    if may(actor, Action.DRAFT_DIALOG):
        source = (await working_copy(request, actor, dialog_id)).text
    try:
        found = await context.relais.studio_strings(actor, dialog_id, lang, fmt, source)
    except (NotFound, OtherTeamsDialog):
        raise web.HTTPNotFound(text=text(request, "no_dialog", dialog=dialog_id)) from None
    except DialogError as exc:  # unreadable text, or the source language asked for
        raise web.HTTPBadRequest(text=text(request, "translate.cannot", reason=str(exc))) from None
    return web.Response(
        body=found.data.encode("utf-8"),
        content_type=_TYPES[fmt],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.file_name}"'},
    )


async def _read_upload(request: web.Request) -> tuple[str, str, str]:
    """(action, the file's name, its text); 400 with a clear message otherwise."""
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        raise web.HTTPBadRequest(text=text(request, "translate.no_file"))
    raw = upload.file.read()
    try:
        data = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise web.HTTPBadRequest(text=text(request, "translate.not_utf8")) from None
    return str(form.get("action", "check")), upload.filename[:100], data


async def _import(
    request: web.Request, copy: WorkingCopy, file_name: str, data: str
) -> ImportView:
    context = context_of(request)
    name = f"{copy.dialog_id}.yaml"
    view = ImportView()
    try:
        translations = read_translations(data, file_name)
        view.lang = translations.target_lang
        doc = load_roundtrip(copy.text, name)
        known = {ref.string_id(copy.dialog_id) for ref, _kind in text_refs(doc)}
        view.unknown = [(t.id, t.where) for t in translations.items if t.id not in known]
        source_lang, _targets = _languages(copy.text, copy.dialog_id)
        if view.lang == source_lang:
            view.problems.append(text(request, "translate.source_language", language=view.lang))
            return view
        result = await asyncio.to_thread(
            import_translations,
            copy.text,
            name,
            translations,
            roles=context.publishing.contact_roles,
            glossary=context.dialogs.glossary,
        )
        before = {e.id: e for e in extract_strings(copy.text, name, view.lang).entries}
        after = {e.id: e for e in extract_strings(result.text, name, view.lang).entries}
    except DialogError as exc:
        view.problems.append(str(exc))
        return view
    unknown = {uid for uid, _where in view.unknown}
    view.problems.extend(p for p in result.problems if not any(repr(u) in p for u in unknown))
    view.changes = [
        (
            uid,
            before[uid].target if uid in before else "",
            after[uid].target if uid in after else "",
        )
        for uid in result.changed
    ]
    view.stale = [(uid, after[uid].source if uid in after else "") for uid in result.stale]
    checked = await check_copy(
        request, WorkingCopy(copy.dialog_id, result.text, "", None, copy.used)
    )
    view.diagnostics, view.errors, view.result = checked.diagnostics, checked.errors, result.text
    return view


@routes.post(f"/dialogs/{DIALOG_ID}/translate")
async def upload(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    context = context_of(request)
    dialog_id = dialog_id_of(request)
    copy = await working_copy(request, actor, dialog_id)
    action, file_name, data = await _read_upload(request)
    view = await _import(request, copy, file_name, data)
    applied = view.ok and bool(view.changes)
    report = {
        "changed": len(view.changes),
        "refused": len(view.unknown) + len(view.problems),
        "errors": view.errors,
        "applied": int(applied),
    }
    lang = view.lang if LANG_RE.match(view.lang) else "?"  # as the file says: a code only
    await context.relais.studio_strings_imported(actor, dialog_id, lang, report)
    if not view.ok:
        return _page(request, dialog_id, copy.text, copy.origin, status=400, view=view)
    if applied:
        copy.replace_text(view.result)
    if action != "submit" or not applied:
        return _page(request, dialog_id, copy.text, copy.origin, view=view, applied=applied)
    try:
        outcome = await context.publishing.submit_document(
            actor, f"{dialog_id}.yaml", copy.text.encode("utf-8")
        )
    except PublishRefused as refused:
        said = refusal(request, refused, dialog_id).values()
        return _page(request, dialog_id, copy.text, copy.origin, status=409, view=view, **said)
    if not outcome.saved:
        error = text(request, "editor.not_saved")
        return _page(
            request, dialog_id, copy.text, copy.origin, status=400, view=view, error=error
        )
    copy.origin = "draft"
    raise web.HTTPSeeOther(f"/drafts/{dialog_id}?done=submitted")
