"""The text a psychologist is editing in the Studio, kept server-side per browser session.

The text view, the structured view and the Try page work on one `WorkingCopy` per (session,
dialog): the YAML text as last sent from the page, the transcript tests it is tried with, and
the state of a try in progress. It lives in memory only (nothing is written to the database
until the author submits it as a draft through the publishing use cases), is keyed by a digest
of the session token (never the token itself), is dropped after `IDLE` unused, and at most
`MAX_COPIES` are kept (the least recently used goes first).

Where a working copy starts from (`start_copy`): the dialog's open draft when its author is
the visitor, else the newest version the bot runs (bundled or published), with that version's
transcript tests (the published version's, or content/dialogs/<id>.test.yaml).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.studio.context import context_of, text, visitor_of
from bot.studio.pages import read_dialog
from bot.usecases.base import Actor
from dialogs.tryout import TryLine

__all__ = [
    "IDLE",
    "MAX_COPIES",
    "WORKSPACES",
    "TryProgress",
    "WorkingCopy",
    "Workspaces",
    "setup",
    "start_copy",
    "working_copy",
]

IDLE = timedelta(hours=2)
MAX_COPIES = 200
#: the lines of a try kept for the page (older ones are dropped)
MAX_TRY_LINES = 200


@dataclass(slots=True)
class TryProgress:
    """A try in progress: the engine's state (`SessionState.to_dict()`), the lines so far, the
    digest of the text it runs (a changed text starts a new try) and its language."""

    lang: str
    digest: str
    state: dict[str, Any] | None
    lines: list[TryLine] = field(default_factory=list)


@dataclass(slots=True)
class WorkingCopy:
    dialog_id: str
    text: str
    #: where it started from: "draft" (the visitor's open draft), "version N", or "new"
    origin: str
    tests: str | None
    used: datetime
    trying: TryProgress | None = None
    #: who else has an open draft of this dialog (then submitting is refused until it closes)
    draft_by: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def replace_text(self, text: str) -> None:
        self.text = text
        if self.trying is not None and self.trying.digest != self.digest:
            self.trying = None


class Workspaces:
    """The working copies of every open session, bounded in number and in idle time."""

    def __init__(self, idle: timedelta = IDLE, limit: int = MAX_COPIES) -> None:
        self._copies: OrderedDict[tuple[str, str], WorkingCopy] = OrderedDict()
        self.idle = idle
        self.limit = limit

    @staticmethod
    def key(session_token: str, dialog_id: str) -> tuple[str, str]:
        digest = hashlib.sha256(session_token.encode("utf-8")).hexdigest()
        return digest, dialog_id

    def get(self, session_token: str, dialog_id: str, now: datetime) -> WorkingCopy | None:
        self._forget_idle(now)
        key = self.key(session_token, dialog_id)
        copy = self._copies.get(key)
        if copy is not None:
            copy.used = now
            self._copies.move_to_end(key)
        return copy

    def put(self, session_token: str, copy: WorkingCopy) -> WorkingCopy:
        key = self.key(session_token, copy.dialog_id)
        self._copies[key] = copy
        self._copies.move_to_end(key)
        while len(self._copies) > self.limit:
            self._copies.popitem(last=False)
        return copy

    def drop(self, session_token: str, dialog_id: str) -> None:
        self._copies.pop(self.key(session_token, dialog_id), None)

    def _forget_idle(self, now: datetime) -> None:
        for key, copy in list(self._copies.items()):
            if now - copy.used > self.idle:
                del self._copies[key]

    def __len__(self) -> int:
        return len(self._copies)


WORKSPACES = web.AppKey("studio_workspaces", Workspaces)


def setup(app: web.Application) -> None:
    """Called by `build_app` before the app starts: the app's working copies."""
    app[WORKSPACES] = Workspaces()


async def start_copy(request: web.Request, actor: Actor, dialog_id: str) -> WorkingCopy | None:
    """A new working copy of `dialog_id` (None: no such dialog; 404: another team's)."""
    context = context_of(request)
    now = context.clock.now()
    found = await read_dialog(request, actor, dialog_id)  # one audited read, the team rule
    view = found.draft
    if view is not None and view.own:
        draft = view.draft
        return WorkingCopy(dialog_id, draft.source, "draft", _tests_of(request, draft), now)
    dialog = context.dialogs.library.get(dialog_id)
    if dialog is None or not dialog.source_text:
        return None
    tests = found.newest.tests if found.newest is not None else None
    if tests is None:
        bundled = context.config.content_path / "dialogs" / f"{dialog_id}.test.yaml"
        tests = bundled.read_text("utf-8") if bundled.is_file() else None
    origin = f"version {dialog.version}"
    draft_by = view.author_name if view is not None else ""
    return WorkingCopy(dialog_id, dialog.source_text, origin, tests, now, draft_by=draft_by)


def _tests_of(request: web.Request, draft: Any) -> str | None:
    if draft.tests:
        return str(draft.tests)
    bundled = context_of(request).config.content_path / "dialogs"
    path = bundled / f"{draft.dialog_id}.test.yaml"
    return path.read_text("utf-8") if path.is_file() else None


async def working_copy(request: web.Request, actor: Actor, dialog_id: str) -> WorkingCopy:
    """The visitor's working copy of `dialog_id`, started if need be (404: no such dialog)."""
    context = context_of(request)
    workspaces = request.app[WORKSPACES]
    token = visitor_of(request).session_token
    now = context.clock.now()
    copy = workspaces.get(token, dialog_id, now)
    if copy is None:
        started = await start_copy(request, actor, dialog_id)
        if started is None:
            raise web.HTTPNotFound(text=text(request, "no_dialog", dialog=dialog_id))
        copy = workspaces.put(token, started)
    return copy
