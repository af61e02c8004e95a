"""Failed logins counted per client address: after `MAX_FAILURES` refused login links in
`WINDOW` from one address, its next attempts get 429 (with Retry-After) without the link
being looked at, until the oldest failure is out of the window. In memory, per process.

The client address is the connection's peer, except behind the local reverse proxy (a
loopback peer), where it is the last address the proxy added to `X-Forwarded-For` (nginx's
`$proxy_add_x_forwarded_for`): what a client sends itself in that header comes before it and
is not trusted.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from aiohttp import web

__all__ = ["MAX_FAILURES", "THROTTLE", "WINDOW", "LoginThrottle", "client_address", "setup"]

MAX_FAILURES = 10
WINDOW = timedelta(minutes=10)
#: addresses remembered at most (the least recently refused is forgotten first)
_ADDRESSES = 10_000


def client_address(request: web.Request) -> str:
    peer = request.remote or ""
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded:
        last = forwarded.rsplit(",", 1)[-1].strip()
        return last[:64] or peer
    return peer


class LoginThrottle:
    def __init__(self, limit: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(address, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait(self, address: str, now: datetime) -> timedelta | None:
        """How long `address` must wait before its next attempt (None: it may try now)."""
        failures = self._recent(address, now)
        if len(failures) < self.limit:
            return None
        return failures[-self.limit] + self.window - now

    def failed(self, address: str, now: datetime) -> None:
        failures = self._recent(address, now)
        failures.append(now)
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > _ADDRESSES:
            self._failures.popitem(last=False)


THROTTLE = web.AppKey("studio_login_throttle", LoginThrottle)


def setup(app: web.Application) -> None:
    app[THROTTLE] = LoginThrottle()
