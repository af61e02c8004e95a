"""The Studio web application: `build_app(context) -> aiohttp.web.Application`, and
`StudioServer`, which `relais run` starts when `[studio] listen` is set.

Pages are modules with an aiohttp `routes = web.RouteTableDef()`; `PAGE_MODULES` lists them
and `build_app` adds each one's routes. A new page module (the editor's, for example) is one
more name in `PAGE_MODULES` (see bot/studio/__init__.py for the whole interface); a module
with a `setup(app)` function has it called once, before the app starts.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import jinja2
from aiohttp import web

from bot.studio import security
from bot.studio.context import CONTEXT, StudioContext, render, text

__all__ = ["PAGE_MODULES", "STATIC", "TEMPLATES", "StudioServer", "build_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: the modules whose `routes` make the Studio (each a `web.RouteTableDef`)
PAGE_MODULES: tuple[str, ...] = (
    "bot.studio.login",
    "bot.studio.pages",
    "bot.studio.cards",
    "bot.studio.review",
    "bot.studio.editor",
    "bot.studio.editor_structured",
    "bot.studio.play",
    "bot.studio.translate",
)

#: the largest form accepted (a pasted or uploaded dialog file is at most
#: `[publishing] max_file_bytes`; this leaves room for the other fields)
_MAX_FORM = 17 * 1024 * 1024


def build_app(context: StudioContext) -> web.Application:
    """The Studio over these services: middlewares (security headers, session, form token),
    the static files, and the routes of every module in `PAGE_MODULES`."""
    context.templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    limit = min(_MAX_FORM, context.config.publishing.max_file_bytes + 64 * 1024)
    app = web.Application(
        middlewares=[security.headers, security.session, error_pages, security.forms],
        client_max_size=limit,
    )
    app[CONTEXT] = context
    for name in PAGE_MODULES:
        module = importlib.import_module(name)
        app.router.add_routes(module.routes)
        setup = getattr(module, "setup", None)
        if setup is not None:  # what a module keeps per app, made before the app starts
            setup(app)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    return app


@web.middleware
async def error_pages(request: web.Request, handler: security.Handler) -> web.StreamResponse:
    """A refusal or a missing page as a Studio page (with the navigation), not bare text."""
    try:
        return await handler(request)
    except (web.HTTPForbidden, web.HTTPNotFound, web.HTTPBadRequest) as exc:
        known = exc.content_type == "text/plain" and exc.text and not exc.text.startswith("4")
        message = exc.text if known else text(request, f"error_{exc.status}")
        return render(request, "error.html", status=exc.status, message=message or "")


class StudioServer:
    """The Studio on `[studio] listen` (keep it local: the reverse proxy serves it)."""

    def __init__(self, context: StudioContext) -> None:
        host, _, port = context.config.studio.listen.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)
        self.context = context
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(build_app(self.context), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("Relais Studio on http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
