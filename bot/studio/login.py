"""Logging in with the one-time link `/studio` sends, and out.

`GET /login/<token>` only shows a button (a link preview fetching the address uses nothing);
`POST /login/<token>` uses the link (`studio_login`: once, before it expires, bound to the
practitioner it was sent to) and sets the session cookie: HttpOnly, SameSite=Strict, Secure
and `__Host-` over https, no lifetime of its own (the server ends it after
`[studio] session_minutes` idle).
"""

from __future__ import annotations

from aiohttp import web

from bot.studio.context import context_of, render, visitor_of
from bot.studio.security import cookie_name
from bot.studio.usecases import LoginRefused

__all__ = ["routes"]

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


@routes.post(f"/login/{_TOKEN}")
async def log_in(request: web.Request) -> web.StreamResponse:
    context = context_of(request)
    try:
        login = await context.relais.studio_login(request.match_info["token"])
    except LoginRefused as refused:
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
