"""The stored texts a session's pages just showed, so that the pictures a page embeds (its
`<img>` requests) are drawn without reading the dialog again: one page view, one audited
read. Keyed by a digest of the session token (never the token), bounded in number; a picture
not found here is read through the audited use case as before."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from aiohttp import web

__all__ = ["SHOWN", "Shown", "setup"]

_KEEP = 512


class Shown:
    def __init__(self, limit: int = _KEEP) -> None:
        self._texts: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self.limit = limit

    @staticmethod
    def _key(session_token: str, dialog_id: str, which: str) -> tuple[str, str, str]:
        digest = hashlib.sha256(session_token.encode("utf-8")).hexdigest()
        return digest, dialog_id, which

    def remember(self, session_token: str, dialog_id: str, which: str, source: str) -> None:
        """`which`: "v3" (a published version) or "draft"."""
        if not session_token:
            return
        key = self._key(session_token, dialog_id, which)
        self._texts[key] = source
        self._texts.move_to_end(key)
        while len(self._texts) > self.limit:
            self._texts.popitem(last=False)

    def get(self, session_token: str, dialog_id: str, which: str) -> str | None:
        if not session_token:
            return None
        return self._texts.get(self._key(session_token, dialog_id, which))


SHOWN = web.AppKey("studio_shown", Shown)


def setup(app: web.Application) -> None:
    app[SHOWN] = Shown()
