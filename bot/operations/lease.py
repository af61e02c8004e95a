"""One process per Matrix bot account: a lease in the database, held while `relais run` runs.

A Matrix account has one sync stream; two processes syncing it would both answer every message.
At start the process takes the lease `matrix:<user id>` (bot.usecases.cluster); if another live
process holds it, `relais run` stops with who holds it (host, pid, since when). The holder
renews it every `ttl / 3`; a killed holder stops renewing and the lease is free `ttl` later.
A holder that finds its lease taken (it stalled longer than `ttl`) stops, rather than answer
beside the new holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta

from bot.errors import RelaisError
from bot.usecases.cluster import ClusterUseCases
from storage.leases import Lease

__all__ = ["LEASE_TTL", "HeldLease", "LeaseHeld", "hold_lease", "matrix_lease_name"]

log = logging.getLogger(__name__)

#: a lease not renewed for this long is free
LEASE_TTL = timedelta(seconds=30)


class LeaseHeld(RelaisError):
    """Another running process holds the lease."""

    def __init__(self, lease: Lease, what: str) -> None:
        self.lease = lease
        since = lease.since.strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"{what} is already served by another relais process (host {lease.host}, "
            f"pid {lease.pid}, since {since}). One Matrix account has one sync stream: run one "
            "process per bot account. Stop the other process, or give this one another "
            f"account; if that process was killed, its lease expires within "
            f"{int(LEASE_TTL.total_seconds())} seconds."
        )


def matrix_lease_name(user_id: str) -> str:
    return f"matrix:{user_id}"


class HeldLease:
    """A lease this process holds, renewed in the background until `release`."""

    def __init__(
        self,
        relais: ClusterUseCases,
        name: str,
        holder: str,
        *,
        ttl: timedelta,
        on_lost: Callable[[], None],
    ) -> None:
        self.name = name
        self.holder = holder
        self._relais = relais
        self._ttl = ttl
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._ttl.total_seconds() / 3)
            try:
                ours = await self._relais.renew_lease(self.name, holder=self.holder, ttl=self._ttl)
            except Exception as exc:  # the database is away: try again at the next beat
                log.warning("lease %s not renewed: %s", self.name, type(exc).__name__)
                continue
            if not ours:
                log.error(
                    "lease %s was taken by another process while this one stalled: stopping",
                    self.name,
                )
                self._on_lost()
                return

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self._relais.release_lease(self.name, holder=self.holder)
        except Exception as exc:
            log.warning("lease %s not released (expires by itself): %s", self.name, exc)


async def hold_lease(
    relais: ClusterUseCases,
    name: str,
    what: str,
    *,
    on_lost: Callable[[], None],
    ttl: timedelta = LEASE_TTL,
) -> HeldLease:
    """Take the lease `name` and keep renewing it; raises `LeaseHeld` if another live process
    holds it. `what` names the thing in the message (e.g. "Matrix account @bot:example.org")."""
    holder = secrets.token_hex(16)
    lease = await relais.take_lease(
        name, holder=holder, host=socket.gethostname(), pid=os.getpid(), ttl=ttl
    )
    if lease.holder != holder:
        raise LeaseHeld(lease, what)
    held = HeldLease(relais, name, holder, ttl=ttl, on_lost=on_lost)
    held.start()
    log.info("lease %s taken", name)
    return held
