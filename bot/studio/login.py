"""Logging in with the one-time link `/studio` sends, and out.

`GET /login/<token>` only shows a button (a link preview fetching the address uses nothing);
`POST /login/<token>` uses the link (`studio_login`: once, before it expires, bound to the
practitioner it was sent to) and sets the session cookie: HttpOnly, SameSite=Strict, Secure
and `__Host-` over https, no lifetime of its own (the server ends it after
`[studio] session_minutes` idle). Ten refused links in ten minutes from one client address
hold back its next attempts (429) until the window allows again (bot/studio/throttle.py).
"""

from __future__ import annotations

import logging
import math

from aiohttp import web

from bot.studio import throttle
from bot.studio.context import context_of, render, visitor_of
from bot.studio.security import cookie_name
from bot.studio.throttle import THROTTLE, client_address
from bot.studio.usecases import LoginRefused

__all__ = ["routes", "setup"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_TOKEN = "{token:[A-Za-z0-9_-]{20,100}}"


@routes.get("/login")
async def how_to_log_in(request: web.Request) -> web.StreamResponse:
    if visitor_of(request).actor is not None:
        raise web.HTTPSeeOther("/")
    return render(request, "login.html", token="", refused="")


@routes.get(f"/login/{_TOKEN}")
async def confirm(request: web.Request) -> web.StreamResponse:
    return render(request, "login.html", token=request.match_info["token"], refused="")


def setup(app: web.Application) -> None:
    """The failed logins counted per client address (bot/studio/throttle.py)."""
    throttle.setup(app)


@routes.post(f"/login/{_TOKEN}")
async def log_in(request: web.Request) -> web.StreamResponse:
    context = context_of(request)
    limits, address, now = request.app[THROTTLE], client_address(request), context.clock.now()
    wait = limits.wait(address, now)
    if wait is not None:
        log.warning("studio: login attempts from one address held back (too many failures)")
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        response = render(request, "limited.html", minutes=minutes, status=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
        return response
    try:
        login = await context.relais.studio_login(request.match_info["token"])
    except LoginRefused as refused:
        limits.failed(address, now)
        return render(request, "login.html", token="", refused=refused.reason, status=403)
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        cookie_name(context.secure),
        login.session_token,
        path="/",
        httponly=True,
        secure=context.secure,
        samesite="Strict",
    )
    raise response


@routes.post("/logout")
async def log_out(request: web.Request) -> web.StreamResponse:
    context = context_of(request)
    visitor = visitor_of(request)
    if visitor.session_token:
        await context.relais.studio_logout(visitor.session_token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(cookie_name(context.secure), path="/")
    raise response
