"""What every Studio page handler has at hand: the services (`StudioContext`, one per app),
who is logged in (`Visitor`, one per request) and the helpers that check roles, render a
template and give the form token.

    context = context_of(request)          # relais, publishing, dialogs, catalog, config
    actor = require_reader(request)        # psychologists and coordinators (Action.STUDIO_READ)
    actor = require_psychologist(request)  # those who may draft (Action.DRAFT_DIALOG)
    return render(request, "page.html", title=..., **values)

A handler never decides who may change guidance: the publishing use cases it calls do, and
audit it. `require_*` only keep a page from being shown to someone it is not for (403).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from aiohttp import web

from bot.chat.catalog import LANGUAGES, Catalog
from bot.clock import Clock
from bot.config import Config
from bot.policy import Action, Relation, is_allowed
from bot.studio.pictures import Drawings
from bot.usecases.base import Actor

if TYPE_CHECKING:
    from bot.app import Relais
    from bot.chat.dialog_registry import DialogRegistry
    from bot.publishing.service import PublishingService

__all__ = [
    "CONTEXT",
    "VISITOR",
    "StudioContext",
    "Visitor",
    "context_of",
    "csrf_token",
    "local_time",
    "may",
    "render",
    "require_psychologist",
    "require_reader",
    "text",
    "visitor_of",
]


@dataclass(slots=True)
class StudioContext:
    """The services the Studio's pages use; `templates` is set by `build_app`."""

    relais: Relais
    publishing: PublishingService
    dialogs: DialogRegistry
    catalog: Catalog
    config: Config
    clock: Clock
    drawings: Drawings = field(default_factory=Drawings)
    templates: jinja2.Environment = field(init=False)

    @property
    def secure(self) -> bool:
        """Served over https (the reverse proxy): the cookie is Secure and `__Host-`."""
        return self.config.studio.public_url.startswith("https://")


CONTEXT = web.AppKey("studio_context", StudioContext)


@dataclass(frozen=True, slots=True)
class Visitor:
    """The practitioner behind this request's session (`actor` None: not logged in)."""

    actor: Actor | None
    session_token: str = ""

    @property
    def lang(self) -> str:
        lang = self.actor.language if self.actor is not None else "en"
        return lang if lang in LANGUAGES else "en"

    @property
    def csrf(self) -> str:
        """The form token of this session (synchronizer token: derived from the session
        secret, so it needs no storage and dies with the session)."""
        if not self.session_token:
            return ""
        key = self.session_token.encode("utf-8")
        return hmac.new(key, b"relais-studio-csrf", hashlib.sha256).hexdigest()


VISITOR = web.RequestKey("studio_visitor", Visitor)


def context_of(request: web.Request) -> StudioContext:
    return request.app[CONTEXT]


def visitor_of(request: web.Request) -> Visitor:
    return request.get(VISITOR) or Visitor(None)


def csrf_token(request: web.Request) -> str:
    """The value of the hidden `csrf` field every POST form carries."""
    return visitor_of(request).csrf


def text(request: web.Request, key: str, **values: object) -> str:
    """A Studio text (`[studio]` of the catalog) in the visitor's language."""
    return context_of(request).catalog.text(visitor_of(request).lang, f"studio.{key}", **values)


def _require(request: web.Request, action: Action) -> Actor:
    actor = visitor_of(request).actor
    if actor is None:
        raise web.HTTPSeeOther("/login")
    if not is_allowed(actor.roles, action, Relation.OTHER):
        raise web.HTTPForbidden(text=text(request, "forbidden"))
    return actor


def require_reader(request: web.Request) -> Actor:
    """The logged-in practitioner, if they may read the Studio (else 403, or to /login)."""
    return _require(request, Action.STUDIO_READ)


def require_psychologist(request: web.Request) -> Actor:
    """The logged-in practitioner, if they may write guidance (else 403, or to /login)."""
    _require(request, Action.STUDIO_READ)
    return _require(request, Action.DRAFT_DIALOG)


def local_time(request: web.Request, moment: datetime | None) -> str:
    """A moment in the visitor's time zone, as 2026-12-04 09:30 (empty for None)."""
    if moment is None:
        return ""
    actor = visitor_of(request).actor
    try:
        zone = ZoneInfo(actor.time_zone) if actor is not None else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def may(actor: Actor | None, action: Action) -> bool:
    return actor is not None and is_allowed(actor.roles, action, Relation.OTHER)


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    """`template` (bot/studio/templates, extending base.html) with the values, the text
    function `t`, the form token `csrf`, the `actor`, `may(action_name)` and `drawable`
    (Graphviz is there to draw pictures)."""
    context = context_of(request)
    visitor = visitor_of(request)
    lang = visitor.lang

    def t(key: str, **fields: object) -> str:
        return context.catalog.text(lang, f"studio.{key}", **fields)

    page = context.templates.get_template(template).render(
        t=t,
        lang=lang,
        csrf=visitor.csrf,
        actor=visitor.actor,
        may=lambda name: may(visitor.actor, Action[name]),
        drawable=shutil.which("dot") is not None,
        **values,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
