"""Who gets into Relais Studio, and what a forged or stale request gets: one-time links
(used, expired, unknown), the session cookie and its idle end, the form token on every POST,
the security headers, coordinators who read but do not decide, no case data anywhere, and
every action audited. Over HTTP (aiohttp client) against the real server and use cases."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from bot.studio.app import StudioServer
from bot.studio.config import StudioConfig
from storage.models import AuditEntryRow
from tests.publishing.conftest import texts
from tests.studio.conftest import StudioWorld, csrf_of, free_port

CHANGED = "Appelez tout de suite."


async def page(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with client.get(url, allow_redirects=False) as response:
        return response.status, await response.text()


async def post(
    client: aiohttp.ClientSession, url: str, data: dict[str, str], **headers: str
) -> tuple[int, str]:
    async with client.post(url, data=data, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text()


async def submit_draft(studio: StudioWorld, client: aiohttp.ClientSession) -> None:
    """pia's draft of crisis (a changed French sentence), sent through the submit form."""
    _, form = await page(client, f"{studio.url}/submit?dialog=crisis")
    source = (studio.pub.content / "dialogs" / "crisis.yaml").read_text("utf-8")
    status, body = await post(
        client,
        f"{studio.url}/drafts",
        {"csrf": csrf_of(form), "source": source.replace("Appelez maintenant.", CHANGED)},
    )
    assert status == 303, body


async def audited(studio: StudioWorld) -> list[tuple[str, str]]:
    async with studio.relais.db.connect() as conn:
        rows = await conn.execute(
            select(AuditEntryRow.action, AuditEntryRow.outcome).order_by(AuditEntryRow.seq)
        )
        found = [(r.action, r.outcome) for r in rows]
        await conn.rollback()
    return found


async def test_a_link_logs_in_once_before_it_expires(studio: StudioWorld) -> None:
    link = await studio.link("pia")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        # the GET only shows a button: a link preview uses nothing
        status, body = await page(client, link)
        assert status == 200
        assert "Log in" in body
        async with client.post(link, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/"
            cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("relais_studio=")
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Path=/" in cookie
        assert "Max-Age" not in cookie  # the server ends the session, not the browser
        assert "Secure" not in cookie  # public_url is http here (see the https test)
        status, body = await page(client, f"{studio.url}/")
        assert status == 200
        assert "Logged in as Pia" in body

    async with aiohttp.ClientSession() as other:
        status, body = await post(other, link, {})
        assert status == 403
        assert "This link has been used already" in body

        late = await studio.link("pia")
        studio.pub.clock.advance(timedelta(minutes=5, seconds=1))
        status, body = await post(other, late, {})
        assert status == 403
        assert "This link has expired" in body

        status, body = await post(other, f"{studio.url}/login/{'x' * 43}", {})
        assert status == 403
        assert "This link is not valid" in body
    found = [a for a in await audited(studio) if a[0].startswith("studio.")]
    assert found == [
        ("studio.login", "ok"),  # the link sent
        ("studio.session_open", "ok"),
        ("studio.read", "ok"),  # the dialog list: one read per page view
        ("studio.session_open", "failed"),  # used
        ("studio.login", "ok"),
        ("studio.session_open", "failed"),  # expired
        ("studio.session_open", "failed"),  # unknown
    ]


async def test_only_psychologists_and_coordinators_get_a_link(studio: StudioWorld) -> None:
    for name in ("alex", "sam", "ada"):
        replies = await studio.pub.chat(name).say("/studio")
        assert "/login/" not in texts(replies)
        assert "Your role does not allow that" in texts(replies)
    await studio.link("cora")
    help_text = texts(await studio.pub.chat("cora").say("/help"))
    assert "/studio – a link to Relais Studio" in help_text
    assert "/studio" not in texts(await studio.pub.chat("alex").say("/help"))


async def test_a_session_ends_when_idle_or_logged_out_or_revoked(studio: StudioWorld) -> None:
    async with await studio.login("pia") as client:
        assert (await page(client, f"{studio.url}/"))[0] == 200
        studio.pub.clock.advance(timedelta(minutes=29))
        assert (await page(client, f"{studio.url}/"))[0] == 200  # used: idle starts again
        studio.pub.clock.advance(timedelta(minutes=31))
        async with client.get(f"{studio.url}/", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/login"
            assert 'relais_studio=""' in response.headers["Set-Cookie"]  # cleared

    async with await studio.login("pia") as client:
        status, body = await page(client, f"{studio.url}/")
        status, _ = await post(client, f"{studio.url}/logout", {"csrf": csrf_of(body)})
        assert status == 303
        assert (await page(client, f"{studio.url}/"))[0] == 303

    async with await studio.login("paul") as client:
        await studio.relais.revoke("Paul")
        assert (await page(client, f"{studio.url}/drafts"))[0] == 303


async def test_every_post_needs_its_form_token_and_origin(studio: StudioWorld) -> None:
    async with await studio.login("pia") as client:
        await submit_draft(studio, client)
        _, body = await page(client, f"{studio.url}/drafts/crisis")
        token = csrf_of(body)
        withdraw = f"{studio.url}/drafts/crisis/withdraw"
        assert (await post(client, withdraw, {}))[0] == 403
        assert (await post(client, withdraw, {"csrf": "0" * 64}))[0] == 403
        status, body = await post(
            client, withdraw, {"csrf": token}, **{"Sec-Fetch-Site": "cross-site"}
        )
        assert status == 403
        assert "not sent from a Relais Studio page" in body
        status, _ = await post(client, withdraw, {"csrf": token}, Origin="https://evil.example")
        assert status == 403
        assert len(await studio.relais.studio_drafts(studio.pub.actors["pia"])) == 1
        # the right token, from the Studio: done
        status, _ = await post(client, withdraw, {"csrf": token}, Origin=studio.url)
        assert status == 303
        assert await studio.relais.studio_drafts(studio.pub.actors["pia"]) == []
    # another session's token is not this session's
    async with await studio.login("paul") as client:
        assert (await post(client, f"{studio.url}/logout", {"csrf": token}))[0] == 403


async def test_coordinators_read_but_do_not_decide(studio: StudioWorld) -> None:
    async with await studio.login("pia") as pia:
        await submit_draft(studio, pia)
    async with await studio.login("cora") as cora:
        status, body = await page(cora, f"{studio.url}/drafts/crisis")
        assert status == 200
        assert CHANGED in body
        assert "Approve this text" not in body
        assert "You can read this draft; psychologists review it." in body
        token = csrf_of(body)
        draft = (await studio.relais.studio_drafts(studio.pub.actors["cora"]))[0][0]
        form = {"csrf": token, "draft": draft.id, "digest": draft.checksum}
        for action in ("approve", "reject", "publish", "withdraw"):
            status, body = await post(cora, f"{studio.url}/drafts/crisis/{action}", form)
            assert status == 403, action
            assert "This page is for psychologists." in body
        status, _ = await post(
            cora, f"{studio.url}/dialogs/crisis/rollback", {"csrf": token, "version": "1"}
        )
        assert status == 403
        assert (await page(cora, f"{studio.url}/submit"))[0] == 403
        assert (await page(cora, f"{studio.url}/dialogs/crisis"))[0] == 200
        assert "Roll back" not in (await page(cora, f"{studio.url}/dialogs/crisis"))[1]
    drafts = await studio.relais.studio_drafts(studio.pub.actors["pia"])
    assert drafts[0][0].status == "draft"


async def test_an_approval_is_of_the_text_shown_and_never_the_authors(
    studio: StudioWorld,
) -> None:
    async with await studio.login("pia") as pia, await studio.login("paul") as paul:
        await submit_draft(studio, pia)
        # the author cannot approve her own draft
        _, body = await page(pia, f"{studio.url}/drafts/crisis")
        assert "Approve this text" not in body
        draft = (await studio.relais.studio_drafts(studio.pub.actors["pia"]))[0][0]
        form = {"csrf": csrf_of(body), "draft": draft.id, "digest": draft.checksum}
        status, body = await post(pia, f"{studio.url}/drafts/crisis/approve", form)
        assert status == 409
        assert "You wrote this draft: another psychologist must review it." in body

        # paul is shown one text; pia changes it; his approval of the first one is refused
        _, shown = await page(paul, f"{studio.url}/drafts/crisis")
        form = {"csrf": csrf_of(shown), "draft": draft.id, "digest": draft.checksum}
        _, again = await page(pia, f"{studio.url}/submit?dialog=crisis")
        source = (studio.pub.content / "dialogs" / "crisis.yaml").read_text("utf-8")
        status, _ = await post(
            pia,
            f"{studio.url}/drafts",
            {"csrf": csrf_of(again), "source": source.replace("Appelez maintenant.", "Vite.")},
        )
        assert status == 303
        status, body = await post(paul, f"{studio.url}/drafts/crisis/approve", form)
        assert status == 409
        # in the Studio's words: a link to the review page, not the chat's "/review crisis"
        assert "The draft crisis changed after this page showed it" in body
        assert '<a href="/drafts/crisis">Show the current text</a>' in body
        assert "/review" not in body
        current = (await studio.relais.studio_drafts(studio.pub.actors["pia"]))[0][0]
        assert current.status == "draft"
        # and nobody publishes without an approval
        status, body = await post(
            pia,
            f"{studio.url}/drafts/crisis/publish",
            {"csrf": csrf_of(again), "draft": current.id},
        )
        assert status == 409
        assert "needs a colleague&#39;s approval before it is published: a colleague" in body
        assert '<a href="/drafts/crisis">Open the draft&#39;s review page</a>' in body
        assert "(/review crisis)" not in body


async def test_headers_on_every_response(studio: StudioWorld) -> None:
    async with await studio.login("pia") as client:
        for path in (
            "/",
            "/login",
            "/static/studio.css",
            "/dialogs/nothing_here",
            "/drafts/crisis",
        ):
            async with client.get(f"{studio.url}{path}", allow_redirects=False) as response:
                csp = response.headers["Content-Security-Policy"]
                assert "default-src 'self'" in csp, path
                assert "script-src 'self'" in csp, path
                assert "frame-ancestors 'none'" in csp, path
                assert "unsafe-inline" not in csp, path
                assert response.headers["X-Content-Type-Options"] == "nosniff", path
                assert response.headers["Referrer-Policy"] == "no-referrer", path
        async with client.post(f"{studio.url}/logout", allow_redirects=False) as response:
            assert response.status == 403
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_the_studio_shows_no_case_data(studio: StudioWorld) -> None:
    await studio.pub.chat("alex").say("/note K-1 ZEBRA-4711 met at the station")
    async with await studio.login("pia") as pia:
        await submit_draft(studio, pia)
    for name in ("pia", "paul", "cora"):
        async with await studio.login(name) as client:
            for path in (
                "/",
                "/dialogs/crisis",
                "/drafts",
                "/drafts/crisis",
                "/submit?dialog=crisis",
            ):
                status, body = await page(client, f"{studio.url}{path}")
                assert status in (200, 403), (name, path)
                assert "K-1" not in body, (name, path)
                assert "ZEBRA" not in body, (name, path)


async def test_over_https_the_cookie_is_secure_and_host_only(studio: StudioWorld) -> None:
    """Behind the reverse proxy (public_url https://...): `__Host-` name, Secure."""
    context = studio.server.context
    https = dataclasses.replace(
        context.config,
        studio=dataclasses.replace(
            context.config.studio,
            listen=f"127.0.0.1:{free_port()}",
            public_url="https://studio.example.org",
        ),
    )
    server = StudioServer(dataclasses.replace(context, config=https))
    await server.start()
    try:
        link = (await studio.link("pia")).split("/login/")[1]
        async with aiohttp.ClientSession() as client:
            url = f"http://127.0.0.1:{server.port}/login/{link}"
            async with client.post(url, allow_redirects=False) as response:
                assert response.status == 303
                cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-relais_studio=")
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
    finally:
        await server.stop()


async def test_studio_off_by_default(studio: StudioWorld) -> None:
    core = studio.pub.service.core
    core.config = dataclasses.replace(core.config, studio=StudioConfig())
    replies = await studio.pub.chat("pia").say("/studio")
    assert "Relais Studio is not switched on here" in texts(replies)


async def test_pocket_card_of_a_crisis_dialog(studio: StudioWorld) -> None:
    async with await studio.login("cora") as cora:
        status, body = await page(cora, f"{studio.url}/dialogs/crisis")
        assert "Pocket card in French (to print)" in body
        async with cora.get(f"{studio.url}/dialogs/crisis/card?lang=fr") as response:
            assert response.status == 200
            disposition = response.headers["Content-Disposition"]
            assert disposition in (
                'attachment; filename="crisis-fr.pdf"',
                'attachment; filename="crisis-fr.html"',
            )
            assert (await response.read()).startswith((b"%PDF", b"<!"))
        status, body = await page(cora, f"{studio.url}/dialogs/tips/card")
        assert status == 404
        assert "only crisis dialogs have one" in body
    assert ("dialog.card", "ok") in await audited(studio)
