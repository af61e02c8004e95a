"""Logging that cannot leak what practitioners type.

Relais logs ids, never content; but an exception's message can quote content (a value that
failed to parse, a server's echo of a request). `SafeFormatter` prints tracebacks with the
exception *types* and stack frames only, never the messages, for every logger in the process
(ours and the libraries').
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from types import TracebackType

__all__ = ["SafeFormatter", "pseudonym"]

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class SafeFormatter(logging.Formatter):
    def formatException(self, ei: _ExcInfo | tuple[None, None, None]) -> str:
        kind, exc, tb = ei
        if kind is None or exc is None:
            return ""
        lines = ["Traceback (most recent call last):\n", *traceback.format_tb(tb)]
        lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)")
        cause = exc.__cause__ or exc.__context__
        depth = 0
        while cause is not None and depth < 5:
            lines.append(f"\n  caused by {type(cause).__qualname__} (message withheld)")
            cause = cause.__cause__ or cause.__context__
            depth += 1
        return "".join(lines)


def pseudonym(user_id: str) -> str:
    """A stable stand-in for a chat user id in logs: a Matrix id can carry a person's name
    (@firstname.lastname:server). The same id always gives the same pseudonym, so log lines
    about one person can still be followed."""
    return "user-" + hashlib.sha256(user_id.encode()).hexdigest()[:12]
