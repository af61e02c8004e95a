"""Pages: a dialog's "notify this contact now" pages the person on call for a role, with a
frozen escalation chain; one page per case and role runs at a time. Mixed into
`CheckinService`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from bot.checkins.escalation_steps import freeze_page_chain
from bot.checkins.permissions import (
    TeamScope,
    requires_any_case,
)
from bot.checkins.results import PageOutcome
from bot.policy import Action
from bot.usecases.base import Actor, CaseScope, UseCases, requires
from storage.checkins_pages import running_page
from storage.tx import Tx

__all__ = ["CheckinPages"]


class CheckinPages(UseCases):
    """Page use cases; `CheckinService` provides the rest of what they use."""

    #: a facade that only picks the decorated use case (about a case, or not)
    not_use_cases: ClassVar[frozenset[str]] = frozenset({"page_contact"})
    _poke: Callable[[Tx], None]

    async def page_contact(
        self, actor: Actor, role: str, case_code: str | None = None
    ) -> PageOutcome:
        """A dialog's "notify this contact now": page the person on call for `role`."""
        if case_code:
            return await self._page_case(actor, case_code, role)
        return await self._page_team(actor, role)

    @requires(Action.PAGE_CONTACT)
    async def _page_case(self, scope: CaseScope, role: str) -> PageOutcome:
        scope.detail["role"] = role
        return await self._page(scope.tx, scope.actor, role, scope.case.id, scope.detail)

    @requires_any_case(Action.PAGE_CONTACT)
    async def _page_team(self, scope: TeamScope, role: str) -> PageOutcome:
        return await self._page(scope.tx, scope.actor, role, None, {})

    async def _page(
        self, tx: Tx, actor: Actor, role: str, case_id: str | None, detail: dict[str, Any]
    ) -> PageOutcome:
        chain = await freeze_page_chain(
            tx,
            team_id=actor.team_id,
            role=role,
            requester=actor.practitioner_id,
            config=self.config.checkins,
        )
        if not chain.targets:
            return PageOutcome("none", role)
        running = await running_page(
            tx.conn, case_id=case_id, role=role, requested_by=actor.practitioner_id
        )
        if running is not None:  # one page per case and role: this request joins it
            detail.update(occurrence=running.id, joined=True)
            if running.requested_by in (None, actor.practitioner_id):
                return PageOutcome("running", role)
            names = await tx.people.names(ids=[running.requested_by])
            who = names.get(running.requested_by, "-")
            return PageOutcome("running_other", role, requested_by=who)
        oid = await tx.occurrences.add(
            kind="page",
            case_id=case_id,
            role=role,
            requested_by=actor.practitioner_id,
            due_at=tx.now,
            deliver_at=tx.now,
            escalation_chain=chain.to_json(),
            now=tx.now,
        )
        detail["occurrence"] = oid
        self._poke(tx)
        return PageOutcome("sent", role)
