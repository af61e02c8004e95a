"""Drafts: the list, submitting one (a pasted or uploaded dialog file), and the review page
(the side-by-side diff of the YAML, the picture before and after, approve or send back with
a comment, publish, withdraw).

Every decision is a publishing use case (`bot.publishing`): `submit_draft`,
`draft_for_review` (what a reviewer is shown, which their approval binds to),
`review_draft` (with the checksum of the revision the page showed: an approval is of exactly
that text), `publish_draft`, `withdraw_draft`. They enforce the rules (two people, author
publishes after approval, teams) and audit; this module only shows their answers.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.chat.checker_texts import code_text
from bot.policy import Action
from bot.publishing.records import PublishRefused, ReviewView
from bot.studio.context import (
    context_of,
    local_time,
    may,
    render,
    require_psychologist,
    require_reader,
    text,
    visitor_of,
)
from bot.studio.diff import side_by_side
from bot.studio.pages import DIALOG_ID, done_message, picture_lang, read_dialog, svg_response
from bot.studio.refusals import Refusal, refusal
from bot.studio.shown import SHOWN

__all__ = ["routes"]

routes = web.RouteTableDef()

#: the dialog's `id:` at the top level of a pasted text
_DIALOG_ID = re.compile(
    r"^id:[ \t]*[\"']?([a-z][a-z0-9_]{0,63})[\"']?[ \t]*(?:#.*)?$", re.MULTILINE
)


@routes.get("/drafts")
async def draft_list(request: web.Request) -> web.StreamResponse:
    actor = require_reader(request)
    drafts = await context_of(request).relais.studio_drafts(actor)
    lines = [(d, author, local_time(request, d.updated_at)) for d, author in drafts]
    return render(request, "drafts.html", lines=lines, done=done_message(request))


# -- submitting ---------------------------------------------------------------------------


@routes.get("/submit")
async def new_draft(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    dialog_id = request.query.get("dialog", "")
    source = ""
    if dialog_id:  # start from the open draft, else the newest published version
        try:
            found = await read_dialog(request, actor, dialog_id[:64])
        except web.HTTPNotFound:  # a new dialog (or one the visitor may not know of)
            found = None
        if found is not None and found.draft is not None:
            source = found.draft.draft.source
        elif found is not None and found.newest is not None:
            source = found.newest.source
    return render(request, "submit.html", source=source, diagnostics=(), error="")


@routes.post("/drafts")
async def submit(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    context = context_of(request)
    lang = visitor_of(request).lang
    form = await request.post()
    upload = form.get("file")
    pasted = str(form.get("source", ""))
    if isinstance(upload, web.FileField) and upload.filename:
        file_name = upload.filename
        data = upload.file.read()
    else:
        pasted = pasted.replace("\r\n", "\n")  # a browser sends a textarea's lines so
        data = pasted.encode("utf-8")
        named = _DIALOG_ID.search(pasted)  # the checker expects <id>.yaml
        file_name = f"{named.group(1)}.yaml" if named else "dialog.yaml"
    shown = pasted or data.decode("utf-8", "replace")
    if not data.strip():
        empty = context.catalog.text(lang, "studio.submit_empty")
        return render(request, "submit.html", source="", diagnostics=(), error=empty, status=400)
    publishing = context.publishing
    try:
        # counted against the upload quota, walked, then saved: as a file sent in a chat
        outcome = await publishing.submit_document(actor, file_name, data)
    except PublishRefused as refused:
        named = _DIALOG_ID.search(shown)
        said = refusal(request, refused, named.group(1) if named else file_name.split(".")[0])
        return render(
            request, "submit.html", source=shown, diagnostics=(), status=409, **said.values()
        )
    if not outcome.saved or outcome.dialog_id is None:
        found = outcome.check.diagnostics if outcome.check else []
        # each line as the checker writes it, with its code's title and fix in the visitor's words
        diagnostics = [(str(d), code_text(context.catalog, lang, d.code)) for d in found]
        return render(
            request, "submit.html", source=shown, diagnostics=diagnostics, error="", status=400
        )
    raise web.HTTPSeeOther(f"/drafts/{outcome.dialog_id}?done=submitted")


# -- reviewing ----------------------------------------------------------------------------


async def _view(request: web.Request) -> ReviewView:
    """A reviewer's view (psychologists: what their approval binds to; `draft_for_review`
    refuses another team's draft, audited as denied), else a reader's (`read_dialog`, which
    hides another team's guidance); 404 for both refusals and when there is no open draft
    (the same answer: the existence of another team's draft is not told)."""
    actor = require_reader(request)
    dialog_id = request.match_info["dialog_id"]
    missing = web.HTTPNotFound(text=text(request, "no_draft", dialog=dialog_id))
    if not may(actor, Action.REVIEW_DIALOG):
        found = await read_dialog(request, actor, dialog_id)
        if found.draft is None:
            raise missing
        return found.draft
    try:
        view = await context_of(request).publishing.draft_for_review(actor, dialog_id)
    except PublishRefused:
        raise missing from None
    shown, session = request.app[SHOWN], visitor_of(request).session_token
    shown.remember(session, dialog_id, "draft", view.draft.source)  # for the page's pictures
    if view.published is not None:
        shown.remember(session, dialog_id, f"v{view.published.version}", view.published.source)
    return view


@routes.get(f"/drafts/{DIALOG_ID}")
async def review_page(request: web.Request) -> web.StreamResponse:
    return await _review_page(request)


async def _review_page(
    request: web.Request, refused: Refusal | None = None, status: int = 200
) -> web.Response:
    view = await _view(request)
    actor = require_reader(request)
    draft = view.draft
    before = view.published.source if view.published else ""
    context = context_of(request)
    dialog = context.drawings.dialog(draft.dialog_id, draft.source)
    languages = dialog.languages if dialog is not None else ()
    tested = await context.publishing.draft_tests(dialog, draft.tests) if dialog else None
    return render(
        request,
        "review.html",
        status=status,
        view=view,
        draft=draft,
        dialog_id=draft.dialog_id,
        rows=side_by_side(before, draft.source),
        languages=languages,
        tested=tested,
        failures=[str(o) for o in tested.failed[:10]] if tested else [],
        picture_lang=picture_lang(request, languages) or visitor_of(request).lang,
        new_dialog=view.published is None,
        updated=local_time(request, draft.updated_at),
        may_review=may(actor, Action.APPROVE_DIALOG) and not view.own,
        may_publish=may(actor, Action.PUBLISH_DIALOG) and view.own,
        done=done_message(request),
        **(refused.values() if refused else {}),
    )


@routes.get(f"/drafts/{DIALOG_ID}/picture.svg")
async def draft_picture(request: web.Request) -> web.StreamResponse:
    actor = require_reader(request)
    dialog_id = request.match_info["dialog_id"]
    source = request.app[SHOWN].get(visitor_of(request).session_token, dialog_id, "draft")
    if source is None:  # not just shown by a page of this session: read (and audit) it
        found = await read_dialog(request, actor, dialog_id)
        if found.draft is None:
            raise web.HTTPNotFound()
        source = found.draft.draft.source
    return await svg_response(request, dialog_id, source)


async def _decide(request: web.Request, action: str) -> web.StreamResponse:
    actor = require_psychologist(request)
    context = context_of(request)
    publishing = context.publishing
    dialog_id = request.match_info["dialog_id"]
    form = await request.post()
    draft_id = str(form.get("draft", ""))[:64] or None
    digest = str(form.get("digest", ""))[:64] or None
    try:
        match action:
            case "approve" | "reject":
                comment = str(form.get("comment", ""))[:4000]
                if action == "reject" and not comment.strip():  # the chat's text names /reject
                    said = Refusal(text(request, "reject_needs_comment"))
                    return await _review_page(request, said, 400)
                await publishing.refresh()
                await publishing.review_draft(
                    actor, dialog_id, action == "approve", comment, draft_id, digest
                )
                done = "approved" if action == "approve" else "rejected"
            case "publish":
                await publishing.refresh()
                await publishing.publish_draft(actor, dialog_id, draft_id)
                await publishing.refresh()  # the running guidance gets the new version
                raise web.HTTPSeeOther(f"/dialogs/{dialog_id}?done=published")
            case _:
                await publishing.withdraw_draft(actor, dialog_id)
                raise web.HTTPSeeOther("/drafts?done=withdrawn")
    except PublishRefused as refused:
        return await _review_page(request, refusal(request, refused, dialog_id), 409)
    raise web.HTTPSeeOther(f"/drafts/{dialog_id}?done={done}")


@routes.post(f"/drafts/{DIALOG_ID}/approve")
async def approve(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "approve")


@routes.post(f"/drafts/{DIALOG_ID}/reject")
async def send_back(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "reject")


@routes.post(f"/drafts/{DIALOG_ID}/publish")
async def publish(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "publish")


@routes.post(f"/drafts/{DIALOG_ID}/withdraw")
async def withdraw(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "withdraw")
