"""The Studio's request guards, as aiohttp middlewares (outermost first):

- `headers`: every response gets a strict Content Security Policy (only this origin's files;
  no inline script or style; no framing), `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: no-referrer` (a login link in a URL never leaks), no caching of pages.
- `session`: the session cookie -> the `Visitor` (`studio_visitor`: open, used within
  `[studio] session_minutes`, practitioner still enrolled); an unknown or ended session is
  nobody (and its cookie is cleared).
- `forms`: every POST carries the session's form token (`csrf`, synchronizer token) and, when
  the browser says where it comes from (`Sec-Fetch-Site`, `Origin`), comes from the Studio
  itself; else 403.
  The login form, which has no session yet, is guarded by its one-time link token instead.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web

from bot.studio.context import VISITOR, Visitor, context_of, text, visitor_of

__all__ = ["CSP", "cookie_name", "forms", "headers", "session"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
#: POST paths guarded by their own one-time token rather than a session's form token
_NO_SESSION_FORMS = ("/login/",)


def cookie_name(secure: bool) -> str:
    """`__Host-` (Secure, host-only, path /: the browser enforces it) when served over https."""
    return "__Host-relais_studio" if secure else "relais_studio"


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        raise
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@web.middleware
async def session(request: web.Request, handler: Handler) -> web.StreamResponse:
    context = context_of(request)
    if request.path.startswith("/static/"):  # the style sheet: nobody needs to be looked up
        return await handler(request)
    name = cookie_name(context.secure)
    token = request.cookies.get(name, "")
    actor = None
    if token and len(token) <= 128:
        idle = timedelta(minutes=context.config.studio.session_minutes)
        actor = await context.relais.studio_visitor(token, idle)
    request[VISITOR] = Visitor(actor, token if actor is not None else "")
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # a redirect to /login, mostly
        if token and actor is None:
            exc.del_cookie(name, path="/")
        raise
    if token and actor is None:
        response.del_cookie(name, path="/")
    return response


def _same_origin(request: web.Request) -> bool:
    """Whether the browser says the form was sent from a Studio page. `Sec-Fetch-Site`
    first (browsers send it whatever the referrer policy; under `no-referrer` they send
    `Origin: null` even for the page's own forms), else `Origin` when it names one."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True  # the form token alone decides
    public = urlsplit(context_of(request).config.studio.public_url)
    return origin == f"{public.scheme}://{public.netloc}"


@web.middleware
async def forms(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if not _same_origin(request):
            log.warning("studio: a form from another origin was refused")
            raise web.HTTPForbidden(text=text(request, "bad_form"))
        if not request.path.startswith(_NO_SESSION_FORMS):
            expected = visitor_of(request).csrf
            form = await request.post()
            sent = form.get("csrf")
            if (
                not expected
                or not isinstance(sent, str)
                or not hmac.compare_digest(sent, expected)
            ):
                log.warning("studio: a form without its token was refused")
                raise web.HTTPForbidden(text=text(request, "bad_form"))
    return await handler(request)
