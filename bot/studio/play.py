"""The Studio's "Try" page: the working copy of a dialog run exactly as the engine runs it
(`dialogs.tryout` over `dialogs.engine.step`), in either language, with what would happen for
real described and never done: "a note would be filed: …", "a check-in would be scheduled in
24h", "the on-call psychologist would be paged". And "Run tests": the dialog's transcript tests
and the walk of every path, pass or fail each, as publishing runs them on a draft.

    GET  /dialogs/{id}/try               the try so far, and the answers the bot waits for
    POST /dialogs/{id}/try               action=start (lang), action=answer (answer), sos, stop
    POST /dialogs/{id}/tests             run the transcript tests and the walk

The try's state is the engine's `SessionState`, kept in the visitor's working copy (memory,
per browser session): nothing is written to the database and nothing is sent to anyone. The
rest of the running library is there too, so a goto runs the other dialog.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.chat.catalog import LANGUAGES
from bot.publishing.checks import library_with, run_transcripts, run_walk
from bot.studio.context import context_of, render, require_psychologist, text, visitor_of
from bot.studio.editor import check_copy, dialog_id_of
from bot.studio.pages import DIALOG_ID
from bot.studio.workspace import MAX_TRY_LINES, TryProgress, WorkingCopy, working_copy
from dialogs import Cancel, Library, SessionState, Sos, current_prompt
from dialogs.durations import format_duration
from dialogs.errors import StateFormatError
from dialogs.testing import CheckOutcome
from dialogs.tryout import TryLine, TryTurn, try_answer, try_start, try_step

__all__ = ["describe", "routes"]

routes = web.RouteTableDef()

#: why a dialog ended (`dialogs.events.Ended.reason`), each worded in the catalogue
_REASONS = ("completed", "cancelled", "timeout", "error")


def describe(request: web.Request, line: TryLine) -> str:
    """What a line of the try says, in the visitor's words (what would happen, never done)."""
    dialogs = context_of(request).dialogs
    lang = visitor_of(request).lang
    if line.kind == "note":
        tags = ", ".join(line.tags) or "–"
        return text(request, "play.would_note", body=line.text, tags=tags)
    if line.kind == "checkin":
        after = format_duration(line.after) if line.after is not None else "?"
        return text(request, "play.would_checkin", after=after, label=line.text)
    if line.kind == "contacts":
        roles = ", ".join(dialogs.role_label(role, lang) for role in line.roles)
        key = "play.would_contacts_urgent" if line.urgent else "play.would_contacts"
        return text(request, key, roles=roles)
    if line.kind == "page":
        role = dialogs.role_label(line.roles[0], lang) if line.roles else "?"
        return text(request, "play.would_page", role=role)
    if line.kind == "ended":
        reason = text(request, f"play.reason_{line.text}") if line.text in _REASONS else line.text
        return text(request, "play.ended", reason=reason)
    if line.kind == "refused":
        return text(request, "play.refused", reason=line.text)
    return line.text


async def _library(request: web.Request, copy: WorkingCopy) -> tuple[Library | None, Any]:
    """The running library with the working copy in place of its dialog (None: the copy has
    errors and cannot be run), and the copy's check."""
    check = await check_copy(request, copy)
    if check.dialog is None or not check.ok:
        return None, check
    return library_with(context_of(request).dialogs.library, check.dialog), check


async def _page(
    request: web.Request,
    copy: WorkingCopy,
    *,
    status: int = 200,
    tests: list[CheckOutcome] | None = None,
    error: str = "",
) -> web.Response:
    library, check = await _library(request, copy)
    trying = copy.trying
    prompt = None
    if library is not None and trying is not None and trying.state is not None:
        state = _state(trying)
        if state is not None:
            prompt = current_prompt(library, state)
    lines = [(line, describe(request, line)) for line in (trying.lines if trying else [])]
    return render(
        request,
        "editor_try.html",
        status=status,
        dialog_id=copy.dialog_id,
        origin=copy.origin,
        draft_by=copy.draft_by,
        runnable=library is not None,
        check=check,
        trying=trying,
        lines=lines,
        prompt=prompt,
        languages=[lang for lang in LANGUAGES if check.dialog and lang in check.dialog.languages]
        or list(LANGUAGES),
        has_tests=copy.tests is not None,
        tests=tests,
        error=error,
        section="dialogs",
    )


def _state(trying: TryProgress) -> SessionState | None:
    if trying.state is None:
        return None
    try:
        return SessionState.from_dict(trying.state)
    except StateFormatError:
        return None


def _keep(copy: WorkingCopy, lang: str, turn: TryTurn, *, again: bool) -> None:
    trying = copy.trying
    if trying is None or again:
        trying = copy.trying = TryProgress(lang, copy.digest, None)
    trying.state = turn.state.to_dict() if turn.state is not None else None
    trying.lines.extend(turn.lines)
    del trying.lines[:-MAX_TRY_LINES]


@routes.get(f"/dialogs/{DIALOG_ID}/try")
async def try_page(request: web.Request) -> web.Response:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    return await _page(request, copy)


@routes.post(f"/dialogs/{DIALOG_ID}/try")
async def try_action(request: web.Request) -> web.StreamResponse:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    form = await request.post()
    action = str(form.get("action", ""))
    library, _ = await _library(request, copy)
    if library is None:
        return await _page(request, copy, status=409, error=text(request, "play.fix_first"))
    now = context_of(request).clock.now()
    trying = copy.trying
    state = _state(trying) if trying is not None else None
    if action == "start":
        lang = str(form.get("lang", ""))
        if lang not in LANGUAGES:
            lang = visitor_of(request).lang
        _keep(copy, lang, try_start(library, copy.dialog_id, lang, now), again=True)
    elif trying is None or state is None or state.ended:
        return await _page(request, copy, status=409, error=text(request, "play.not_started"))
    elif action == "answer":
        answer = str(form.get("answer", ""))[:4000]
        _keep(copy, trying.lang, try_answer(library, state, answer, now), again=False)
    elif action in ("sos", "stop"):
        event = Sos() if action == "sos" else Cancel()
        said = text(request, f"play.you_{action}")
        _keep(copy, trying.lang, try_step(library, state, event, now, said), again=False)
    raise web.HTTPSeeOther(f"/dialogs/{copy.dialog_id}/try#latest")


@routes.post(f"/dialogs/{DIALOG_ID}/tests")
async def run_tests(request: web.Request) -> web.Response:
    actor = require_psychologist(request)
    copy = await working_copy(request, actor, dialog_id_of(request))
    _, check = await _library(request, copy)
    if check.dialog is None or not check.ok:
        return await _page(request, copy, status=409, error=text(request, "play.fix_first"))
    running = context_of(request).dialogs.library
    outcomes = [await asyncio.to_thread(run_walk, running, check.dialog)]
    if copy.tests is not None:
        outcomes.extend(
            await asyncio.to_thread(run_transcripts, running, check.dialog, copy.tests)
        )
    return await _page(request, copy, tests=outcomes)
