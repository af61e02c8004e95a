"""Run a transaction again when PostgreSQL aborted it for a conflict with another one.

A serialization failure (SQLSTATE 40001) or a deadlock (40P01) rolls the whole transaction
back and says so: nothing of it was kept, and running it again is what PostgreSQL's manual
asks of the application. Use cases hold no network I/O inside their transaction (send after
commit), so running one again repeats only database work. Anything else is raised as it is.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

__all__ = ["ATTEMPTS", "is_conflict", "is_disconnect", "retry_conflicts"]

_log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: tries in all before the conflict is raised
ATTEMPTS = 5
_RETRYABLE = frozenset({"40001", "40P01"})


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (asyncpg through SQLAlchemy), or None."""
    seen: BaseException | None = exc.orig if isinstance(exc, DBAPIError) else exc
    for _ in range(4):  # the driver's error may sit a cause or two below
        if seen is None:
            return None
        for name in ("sqlstate", "pgcode"):
            code = getattr(seen, name, None)
            if isinstance(code, str):
                return code
        seen = seen.__cause__
    return None


def is_conflict(exc: BaseException) -> bool:
    """True for a serialization failure or a deadlock: the transaction may be run again."""
    return isinstance(exc, DBAPIError) and sqlstate(exc) in _RETRYABLE


def is_disconnect(exc: BaseException) -> bool:
    """True when the connection was found dead (the server restarted, failed over or ended
    it): SQLAlchemy has invalidated it and the pool's older connections with it."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def retry_conflicts(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap a coroutine function that runs one transaction: run it again, after a short
    random pause, when it failed on a conflict, up to `ATTEMPTS` tries; and once at once when
    its connection was found dead (no ping before each use: a dropped connection costs the
    statement that finds it, not a round trip on every message). A transaction on a dead
    connection kept nothing; the autocommit statements of a chat turn are each whole (the
    turn's start is one statement, the save an update), so running them again is safe."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        reconnected = False
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await fn(*args, **kwargs)
            except DBAPIError as exc:
                if is_disconnect(exc) and not reconnected:
                    reconnected = True
                    _log.warning(
                        "%s: the database connection was lost, running it again",
                        getattr(fn, "__qualname__", "transaction"),
                    )
                    continue
                if attempt == ATTEMPTS or not is_conflict(exc):
                    raise
                _log.info(
                    "%s: transaction conflict (%s), try %d of %d",
                    getattr(fn, "__qualname__", "transaction"),
                    sqlstate(exc),
                    attempt + 1,
                    ATTEMPTS,
                )
                await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper
