"""The Studio's text editor for a dialog: the YAML text with the checker's diagnostics beside
the line they concern, checked live as the psychologist types, and "Submit as draft".

    GET  /dialogs/{id}/edit              the text view of the visitor's working copy
    POST /dialogs/{id}/edit              action=check (keep the text, show its diagnostics),
                                         action=submit (submit it as a draft), action=reset
    POST /dialogs/{id}/check             the live check (editor.js, on each pause in typing):
                                         keeps the text, answers the diagnostics as JSON
    GET  /editor/schema-help.json        what the JSON Schema says of each key

Submitting calls the publishing use cases (`count_draft_upload`, `submit_draft`): the same
checks, tests, quota, review and audit as a file sent in chat or `relais dialogs draft`. Only
those who may draft (psychologists) get these pages (`require_psychologist`); the use case
decides again.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from aiohttp import web

from bot.chat.catalog import BUNDLED_CONTENT
from bot.chat.checker_texts import localise_check
from bot.publishing.records import PublishRefused
from bot.studio import workspace
from bot.studio.context import context_of, render, require_psychologist, text, visitor_of
from bot.studio.pages import DIALOG_ID
from bot.studio.refusals import refusal
from bot.studio.workspace import WORKSPACES, WorkingCopy, working_copy
from dialogs.live import LiveCheck, check_in_library, schema_help

__all__ = ["check_copy", "dialog_id_of", "routes", "setup", "text_of_form"]

routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """The app's working copies (bot/studio/workspace.py), shared by the editor's pages."""
    workspace.setup(app)


def dialog_id_of(request: web.Request) -> str:
    return request.match_info["dialog_id"]


async def text_of_form(request: web.Request) -> str | None:
    """The `text` field of a posted form (line ends as the file writes them), if any."""
    form = await request.post()
    value = form.get("text")
    if not isinstance(value, str):
        return None
    return value.replace("\r\n", "\n")


async def check_copy(request: web.Request, copy: WorkingCopy) -> LiveCheck:
    """The working copy's diagnostics, as the running library would see it, each code's title
    and what to do in the visitor's language."""
    context = context_of(request)
    check = await asyncio.to_thread(
        check_in_library,
        copy.text,
        f"{copy.dialog_id}.yaml",
        library=context.dialogs.library,
        roles=context.publishing.contact_roles,
        glossary=context.dialogs.glossary,
        max_bytes=context.config.publishing.max_file_bytes,
    )
    return localise_check(check, context.catalog, visitor_of(request).lang)


def _page(
    request: web.Request,
    copy: WorkingCopy,
    check: LiveCheck,
    *,
    status: int = 200,
    **values: object,
) -> web.Response:
    lines = copy.text.split("\n")
    marks = {d.line: d.severity for d in reversed(check.diagnostics) if d.line}
    titles: dict[int, list[str]] = {}
    for found in check.diagnostics:
        if found.line:
            titles.setdefault(found.line, []).append(f"{found.code} {found.message}")
    return render(
        request,
        "editor.html",
        status=status,
        dialog_id=copy.dialog_id,
        origin=copy.origin,
        draft_by=copy.draft_by,
        source=copy.text,
        rows=max(20, min(len(lines) + 2, 60)),
        line_count=len(lines),
        marks=marks,
        titles={line: " · ".join(said) for line, said in titles.items()},
        check=check,
        section="dialogs",
        **values,
    )


@routes.get(f"/dialogs/{DIALOG_ID}/edit")
async def edit_page(request: web.Request) -> web.Response:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    return _page(request, copy, await check_copy(request, copy))


@routes.post(f"/dialogs/{DIALOG_ID}/edit")
async def edit_action(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    dialog_id = dialog_id_of(request)
    form = await request.post()
    action = form.get("action")
    if action == "reset":
        request.app[WORKSPACES].drop(visitor_of(request).session_token, dialog_id)
        raise web.HTTPSeeOther(f"/dialogs/{dialog_id}/edit")
    copy = await working_copy(request, actor, dialog_id)
    sent = await text_of_form(request)
    if sent is not None:
        copy.replace_text(sent)
    check = await check_copy(request, copy)
    if action != "submit":
        return _page(request, copy, check)
    return await _submit(request, copy, check)


async def _submit(request: web.Request, copy: WorkingCopy, check: LiveCheck) -> web.Response:
    """Submit the working copy as a draft: the publishing use cases decide, check, test and
    audit, as for a file sent in chat or on the Submit page."""
    actor = require_psychologist(request)
    publishing = context_of(request).publishing
    file_name, data = f"{copy.dialog_id}.yaml", copy.text.encode("utf-8")
    try:
        # counted against the upload quota, walked, then saved: as a file sent in a chat
        outcome = await publishing.submit_document(actor, file_name, data)
    except PublishRefused as refused:
        said = refusal(request, refused, copy.dialog_id)
        return _page(request, copy, check, status=409, **said.values())
    if not outcome.saved or outcome.dialog_id is None:
        found = [str(d) for d in outcome.check.diagnostics] if outcome.check else []
        error = text(request, "editor.not_saved")
        return _page(request, copy, check, status=400, error=error, outcome=found)
    copy.origin = "draft"
    raise web.HTTPSeeOther(f"/drafts/{outcome.dialog_id}?done=submitted")


@routes.post(f"/dialogs/{DIALOG_ID}/check")
async def live_check(request: web.Request) -> web.Response:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    sent = await text_of_form(request)
    if sent is None:
        raise web.HTTPBadRequest(text=text(request, "editor.no_text"))
    copy.replace_text(sent)
    check = await check_copy(request, copy)
    found = check.to_json()
    found["summary"] = _summary(request, check)
    return web.json_response(found)


def _summary(request: web.Request, check: LiveCheck) -> str:
    if check.dialog is None:
        return text(request, "editor.unreadable")
    return text(request, "editor.summary", errors=check.errors, warnings=check.warnings)


@functools.cache
def _help(schema_file: Path) -> dict[str, str]:
    return schema_help(schema_file)


@routes.get("/editor/schema-help.json")
async def schema_help_json(request: web.Request) -> web.Response:
    require_psychologist(request)
    schema = context_of(request).config.content_path / "schema" / "dialog.schema.json"
    if not schema.is_file():  # a content folder of one's own may leave the schema out
        schema = BUNDLED_CONTENT / "schema" / "dialog.schema.json"
    return web.json_response(_help(schema))
