"""The reading pages: the list of dialogs (published and drafts), a dialog's page (its
picture, its history with who reviewed each version, rollback), and the pictures.

Readers are psychologists and coordinators (`Action.STUDIO_READ`); rolling back is a
publishing use case (`rollback_dialog`: psychologists, audited, its own rules).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.cards import CARD_TAG
from bot.policy import Action
from bot.publishing.records import PublishRefused
from bot.studio import shown as shown_texts
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
from bot.studio.pictures import title_of
from bot.studio.refusals import Refusal, refusal
from bot.studio.shown import SHOWN
from bot.studio.usecases import OtherTeamsDialog, StudioDialog
from bot.usecases.base import Actor

__all__ = ["DIALOG_ID", "done_message", "picture_lang", "read_dialog", "routes", "setup"]

routes = web.RouteTableDef()

#: a dialog id in a path (`[a-z][a-z0-9_]*`, at most 64 characters)
DIALOG_ID = "{dialog_id:[a-z][a-z0-9_]{0,63}}"

#: what `?done=` may say after a change (a catalog key each: nothing else is shown)
_DONE = ("submitted", "approved", "rejected", "published", "rolled_back", "withdrawn")


def picture_lang(request: web.Request, languages: tuple[str, ...]) -> str:
    """The language pictures are drawn in: `?lang=` if the dialog has it, else the
    visitor's if the dialog has it, else its first language."""
    for lang in (request.query.get("lang", ""), visitor_of(request).lang):
        if lang in languages:
            return lang
    return languages[0] if languages else ""


def done_message(request: web.Request) -> str:
    """The catalog key of the change just made (`?done=approved`), or empty."""
    done = request.query.get("done", "")
    return f"done_{done}" if done in _DONE else ""


def setup(app: web.Application) -> None:
    """The texts each session's pages showed (their pictures are drawn from them)."""
    shown_texts.setup(app)


@dataclass(frozen=True, slots=True)
class DialogLine:
    dialog_id: str
    title: str
    version: int | None
    published_at: str
    draft_status: str
    draft_author: str


@routes.get("/")
async def dialog_list(request: web.Request) -> web.StreamResponse:
    actor = require_reader(request)
    context = context_of(request)
    lang = visitor_of(request).lang
    overview = await context.relais.studio_overview(actor)
    newest = overview.newest
    drafts = {d.dialog_id: (d, author) for d, author in overview.drafts}
    lines = []
    for dialog_id in sorted({*newest, *drafts}):
        published = newest.get(dialog_id)
        draft, author = drafts.get(dialog_id, (None, ""))
        source = published.source if published else draft.source if draft else ""
        lines.append(
            DialogLine(
                dialog_id,
                title_of(context.drawings.dialog(dialog_id, source), lang, dialog_id),
                published.version if published else None,
                local_time(request, published.published_at) if published else "",
                draft.status if draft else "",
                author,
            )
        )
    return render(request, "dialogs.html", lines=lines, done=done_message(request))


async def read_dialog(
    request: web.Request, actor: Actor, dialog_id: str, version: int | None = None
) -> StudioDialog:
    """The dialog as the reader may see it (one audited read); 404 when there is no such
    dialog or it is another team's guidance (the same answer: its existence is not told).
    The texts shown are remembered for the page's pictures."""
    context = context_of(request)
    try:
        found = await context.relais.studio_dialog(actor, dialog_id, version)
    except OtherTeamsDialog:
        found = None
    if found is None:
        raise web.HTTPNotFound(text=text(request, "no_dialog", dialog=dialog_id))
    shown, session = request.app[SHOWN], visitor_of(request).session_token
    if found.shown is not None:
        shown.remember(session, dialog_id, f"v{found.shown.version}", found.shown.source)
    if found.draft is not None:
        shown.remember(session, dialog_id, "draft", found.draft.draft.source)
    return found


@routes.get(f"/dialogs/{DIALOG_ID}")
async def dialog_page(request: web.Request) -> web.StreamResponse:
    return await _dialog_page(request)


async def _dialog_page(
    request: web.Request, refused: Refusal | None = None, status: int = 200
) -> web.Response:
    actor = require_reader(request)
    context = context_of(request)
    dialog_id = request.match_info["dialog_id"]
    found = await read_dialog(request, actor, dialog_id)
    history, draft, stored = found.history, found.draft, found.newest
    newest = stored.version if stored else None
    dialog = context.drawings.dialog(dialog_id, stored.source) if stored else None
    lang = visitor_of(request).lang
    return render(
        request,
        "dialog.html",
        status=status,
        dialog_id=dialog_id,
        title=title_of(dialog, lang, dialog_id),
        summary=dialog.summary.get(lang, dialog.default_language)
        if dialog and dialog.summary
        else "",
        languages=dialog.languages if dialog else (),
        picture_lang=picture_lang(request, dialog.languages if dialog else ()),
        newest=newest,
        history=[
            (
                entry,
                local_time(request, entry.published_at),
                local_time(request, entry.reviewed_at),
            )
            for entry in reversed(history)
        ],
        draft=draft,
        may_rollback=may(actor, Action.ROLLBACK_DIALOG),
        has_card=dialog is not None and CARD_TAG in dialog.tags,
        done=done_message(request),
        **(refused.values() if refused else {}),
    )


@routes.get(f"/dialogs/{DIALOG_ID}/v{{version:[0-9]{{1,9}}}}.svg")
async def version_picture(request: web.Request) -> web.StreamResponse:
    actor = require_reader(request)
    dialog_id = request.match_info["dialog_id"]
    version = int(request.match_info["version"])
    source = request.app[SHOWN].get(visitor_of(request).session_token, dialog_id, f"v{version}")
    if source is None:  # not just shown by a page of this session: read (and audit) it
        found = await read_dialog(request, actor, dialog_id, version)
        if found.shown is None or found.shown.version != version:
            raise web.HTTPNotFound()
        source = found.shown.source
    return await svg_response(request, dialog_id, source)


async def svg_response(request: web.Request, dialog_id: str, source: str) -> web.Response:
    """The picture of a stored text, as an image (never inline: an SVG in an <img> runs
    nothing)."""
    lang = request.query.get("lang") or visitor_of(request).lang
    svg = await context_of(request).drawings.svg(dialog_id, source, lang[:8])
    if svg is None:
        raise web.HTTPNotFound()
    return web.Response(body=svg, content_type="image/svg+xml")


@routes.post(f"/dialogs/{DIALOG_ID}/rollback")
async def rollback(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    context = context_of(request)
    dialog_id = request.match_info["dialog_id"]
    form = await request.post()
    version = str(form.get("version", ""))
    if not version.isdigit() or len(version) > 9:
        raise web.HTTPBadRequest()
    try:
        await context.publishing.rollback_dialog(actor, dialog_id, int(version))
    except PublishRefused as refused:
        return await _dialog_page(request, refusal(request, refused, dialog_id), 409)
    await context.publishing.refresh()  # the running guidance gets the new version
    raise web.HTTPSeeOther(f"/dialogs/{dialog_id}?done=rolled_back")
