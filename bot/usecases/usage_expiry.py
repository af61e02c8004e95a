"""A conversation that expires mid-dialog (`[sessions] expiry`) is counted as an exit "timeout"
at the node where it stood, in the transaction that removes it (issue 18: evidence)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.usage_measures import node_of
from storage.records import StoredSession
from storage.repos.usage import UsageKey
from storage.tx import Tx

__all__ = ["count_timeouts"]


def _where(state: dict[str, Any]) -> tuple[str, int, str, str] | None:
    """(dialog, version, language, node) of the dialog a stored conversation waits in (its
    `bot.chat.session.ChatSession` format: "engine" is the engine's state); None when no
    dialog runs, or it is a preview of a draft (never counted)."""
    engine = state.get("engine")
    if state.get("preview") or not isinstance(engine, dict):
        return None
    return node_of(engine)


async def count_timeouts(tx: Tx, sessions: Iterable[StoredSession]) -> None:
    """Count each expired conversation's dialog as left where it stood, in its team."""
    day = tx.now.date()
    counts: dict[UsageKey, int] = {}
    found = [(s, where) for s in sessions if (where := _where(s.state)) is not None]
    if not found:
        return
    teams = await tx.usage.teams_of(
        sorted({s.practitioner_id for s, _ in found if s.practitioner_id})
    )
    for session, where in found:
        team = teams.get(session.practitioner_id or "", "")
        key = UsageKey(day, *where, measure="exit", item="timeout", team_id=team)
        counts[key] = counts.get(key, 0) + 1
    if counts:
        await tx.usage.add(usage=counts)
