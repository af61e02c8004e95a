"""The few client-server endpoints matrix-nio does not wrap (cross-signing), as raw JSON calls.

    status, body = await call(client, "POST", ["keys", "query"], {"device_keys": {user: []}})

`status` is the HTTP status; `body` the decoded JSON object (empty when there was none). Network
errors (aiohttp `ClientError`, `TimeoutError`) propagate, and so does a homeserver that is
overloaded or behind a failing proxy (HTTP 429 or 5xx: `ServerUnavailable`, a `ClientError`):
callers treat them all as "try again later".
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientError
from nio import AsyncClient
from nio.api import Api

__all__ = ["ServerUnavailable", "call", "keys_query"]


class ServerUnavailable(ClientError):
    """The homeserver answered 429 or 5xx: a transient failure, like a network error."""


async def call(
    client: AsyncClient, method: str, path: list[str], body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """One authenticated request to /_matrix/client/v3/<path>."""
    headers = {"Content-Type": "application/json"}
    if client.access_token:
        headers["Authorization"] = f"Bearer {client.access_token}"
    data = json.dumps(body) if body is not None else None
    response = await client.send(method, Api._build_path(path), data, headers=headers)
    async with response:
        try:
            decoded = await response.json(content_type=None)
        except (ValueError, UnicodeDecodeError):
            decoded = None
        if response.status == 429 or response.status >= 500:
            raise ServerUnavailable(f"HTTP {response.status} on {'/'.join(path)}")
        return response.status, decoded if isinstance(decoded, dict) else {}


async def keys_query(client: AsyncClient, users: list[str]) -> dict[str, Any]:
    """The raw `/keys/query` answer for `users` (device keys and cross-signing keys); {} when
    the server refused."""
    status, body = await call(
        client, "POST", ["keys", "query"], {"device_keys": {user: [] for user in users}}
    )
    return body if status == 200 else {}
