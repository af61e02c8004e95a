"""`/status` for coordinators (the data; channel health comes from the running channels and the
chat layer renders it, `bot.chat.status`): the team's failed deliveries of the last 24 hours
(given up, unreachable, or retrying after a failed send) and the pages still waiting for an
acknowledgement. Kinds, statuses, case codes and colleagues' names only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.policy import Action
from bot.usecases.base import ActorScope, UseCases, requires_role
from storage import deliveries

__all__ = ["OperationsUseCases", "TeamStatus"]

WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class TeamStatus:
    failed: list[deliveries.Delivery]
    pages: list[deliveries.WaitingPage]
    #: practitioner id -> display name, for the people named above
    names: dict[str, str] = field(default_factory=dict)
    #: (channel, working?) for each enabled channel: filled in by the caller that runs them
    channels: list[tuple[str, bool]] = field(default_factory=list)


class OperationsUseCases(UseCases):
    @requires_role(Action.VIEW_STATUS)
    async def team_status(self, scope: ActorScope) -> TeamStatus:
        conn = scope.tx.conn
        team = scope.actor.team_id
        failed = await deliveries.list_deliveries(
            conn, since=scope.tx.now - WINDOW, failed_only=True, team_id=team, limit=50
        )
        pages = await deliveries.waiting_pages(conn, team_id=team)
        ids = {d.recipient_id for d in failed} | {p.requested_by for p in pages}
        names = await scope.tx.people.names(ids=[i for i in ids if i])
        return TeamStatus(failed, pages, names)
