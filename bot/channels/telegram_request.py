"""python-telegram-bot's requests to the Bot API over aiohttp instead of httpx.

The channel sends from many chats at once over a pool of connections. httpx's pool (httpcore,
on anyio) walks its connections at the start and the end of every request and asks each idle
one whether its socket is still good, building anyio's table of socket attributes each time:
measured with the fake Bot API, about a third of this process's time per message went to the
HTTP client, most of it there. aiohttp's connector hands out a kept connection directly.

`AiohttpRequest` is a `telegram.request.BaseRequest`, so PTB's `Bot` builds the calls, reads
the answers and raises its errors as with its own `HTTPXRequest`: a timeout is `TimedOut` (a
pool timeout says nothing was sent), any other transport failure `NetworkError`, which the
channel's retries (`telegram_retry`) handle as before. Parameters go as a form, files as
multipart, as PTB sends them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

__all__ = ["AiohttpRequest"]

#: PTB's HTTPXRequest defaults (seconds)
_CONNECT, _READ, _WRITE, _POOL, _MEDIA_WRITE = 5.0, 5.0, 5.0, 1.0, 20.0


def _given(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with at most `connection_pool_size`
    connections (more calls at once wait up to the pool timeout for one)."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        *,
        read_timeout: float | None = _READ,
        connect_timeout: float | None = _CONNECT,
        write_timeout: float | None = _WRITE,
        pool_timeout: float | None = _POOL,
        media_write_timeout: float | None = _MEDIA_WRITE,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read, self._connect = read_timeout, connect_timeout
        self._write, self._pool = write_timeout, pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        #: (scheme, host) -> the proxy from the environment (HTTPS_PROXY, NO_PROXY...) and its
        #: credentials, looked up once: aiohttp's `trust_env` looks them up (and ~/.netrc) in a
        #: thread on every call, which halved the channel's throughput
        self._proxies: dict[tuple[str, str], tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _given(read_timeout, self._read)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        write = _given(write_timeout, self._media_write if files else self._write)
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            body = aiohttp.FormData(fields or {}, quote_fields=False)
            for name, part in files.items():
                filename, content, mimetype = _file_part(part)
                body.add_field(name, content, filename=filename, content_type=mimetype)
        # aiohttp has no write timeout of its own: the whole call is bounded by all of them
        parts = [t for t in (connect, pool, write, read) if t is not None]
        timeout = aiohttp.ClientTimeout(
            total=sum(parts) if len(parts) == 4 else None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        proxy, proxy_auth = await self._proxy_for(URL(url))
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
            ) as res:
                return res.status, await res.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    async def _proxy_for(self, url: URL) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy the environment names for `url`, as python-telegram-bot's own httpx
        transport honours it (None: none, or `NO_PROXY` covers the host)."""
        key = (url.scheme, url.host or "")
        found = self._proxies.get(key)
        if found is None:
            try:
                found = await asyncio.to_thread(get_env_proxy_for_url, url)
            except LookupError:
                found = (None, None)
            self._proxies[key] = found
        return found


def _file_part(part: Any) -> tuple[str | None, Any, str | None]:
    """PTB's multipart part: bytes, (filename, content) or (filename, content, mimetype)."""
    if isinstance(part, tuple):
        if len(part) == 3:
            return part[0], part[1], part[2]
        return part[0], part[1], None
    return None, part, None
