"""A Relais Studio world: the publishing chat world (tests/publishing/conftest.py: pia and
paul psychologists, cora coordinator, alex mentor on case K-1, ada admin) with the Studio
served on a free local port, its `public_url` that address.

    studio.url                       http://127.0.0.1:PORT
    await studio.link("pia")         the login link /studio gives pia in chat
    await studio.login("pia")        an aiohttp session logged in as pia (cookie set)
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.clock import FakeClock
from bot.config import Config
from bot.studio.app import StudioServer
from bot.studio.config import StudioConfig
from bot.studio.context import StudioContext
from tests.chat.conftest import CONTENT
from tests.publishing.conftest import PubWorld, content, open_world, pub_config, texts

__all__ = ["CSRF", "StudioWorld", "content", "csrf_of", "free_port", "pub_config"]

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "no form token in the page"
    return found.group(1)


@dataclass
class StudioWorld:
    pub: PubWorld
    server: StudioServer
    url: str

    @property
    def relais(self) -> Relais:
        return self.pub.relais

    async def link(self, name: str) -> str:
        """What `/studio` answers `name` in chat: the login link in it."""
        replies = await self.pub.chat(name).say("/studio")
        found = _LINK.search(texts(replies))
        assert found is not None, texts(replies)
        return found.group(1)

    async def login(self, name: str) -> aiohttp.ClientSession:
        """An HTTP client logged in as `name` through their own link (closed by the caller)."""
        link = await self.link(name)
        client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with client.post(link, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
        return client


@pytest.fixture
async def studio(
    pub_config: Config, clock: FakeClock, content: Path
) -> AsyncIterator[StudioWorld]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = dataclasses.replace(
        pub_config, studio=StudioConfig(listen=f"127.0.0.1:{port}", public_url=url)
    )
    shutil.copytree(CONTENT / "templates", content / "templates")  # the pocket card's
    async with await Relais.open(config, clock) as relais:
        pub = await open_world(relais, config, clock, content)
        context = StudioContext(
            relais, pub.publishing, pub.dialogs, Catalog.load(content), config, clock
        )
        server = StudioServer(context)
        await server.start()
        try:
            yield StudioWorld(pub, server, url)
        finally:
            await server.stop()
