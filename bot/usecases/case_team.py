"""Who does what on a case: its status, owner, members with their roles on it and release
date (`/case CODE`), and the owner putting a practitioner of the team on it or taking them
off (`/member CODE add|remove NAME [ROLE]`). Names are case data: the chat layer shows them
only over a confidential channel (`bot.policy.NEEDS_CONFIDENTIAL_CHANNEL`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.errors import InvalidInput
from bot.policy import Action
from bot.usecases.admin import check_role, one_practitioner
from bot.usecases.base import CaseScope, UseCases, requires
from bot.usecases.notes import CASE_ROLES

__all__ = ["CaseInfo", "CaseTeamUseCases", "MemberChange"]


@dataclass(frozen=True, slots=True)
class CaseInfo:
    code: str
    status: str
    relation: str  # owner | member | other
    owner_id: str
    owner_name: str
    members: tuple[tuple[str, str, str], ...]  # (practitioner id, name, role on case)
    release_on: date | None = None


@dataclass(frozen=True, slots=True)
class MemberChange:
    """What `/member` did: `changed` False when there was nothing to do (not a member)."""

    case_code: str
    name: str
    role: str | None
    changed: bool = True


class CaseTeamUseCases(UseCases):
    @requires(Action.VIEW_CASE)
    async def case_info(self, scope: CaseScope) -> CaseInfo:
        """The case's status, owner, members and release date (no notes)."""
        tx, case = scope.tx, scope.case
        members = await tx.cases.members(case_id=case.id)
        names = await tx.people.names(ids=[case.owner_id, *(m.practitioner_id for m in members)])
        release = await tx.handover.release(case_id=case.id)
        return CaseInfo(
            code=case.code,
            status=case.status,
            relation=str(scope.relation),
            owner_id=case.owner_id,
            owner_name=names.get(case.owner_id, ""),
            members=tuple(
                (m.practitioner_id, names.get(m.practitioner_id, ""), m.role) for m in members
            ),
            release_on=release.release_on if release else None,
        )

    @requires(Action.MANAGE_CASE)
    async def assign_member(self, scope: CaseScope, name: str, role: str) -> MemberChange:
        """Put a practitioner of the case's team, found by name, on the case with a role (or
        change their role on it)."""
        tx, case = scope.tx, scope.case
        role = check_role(role, CASE_ROLES)
        person = await one_practitioner(tx, name, team_id=case.team_id, revoked=False)
        if person.id == case.owner_id:
            raise InvalidInput(f"{person.name} owns case {case.code} already").saying(
                "owns_already", name=person.name, case=case.code
            )
        await tx.cases.put_member(
            case_id=case.id, practitioner_id=person.id, role=role, now=tx.now
        )
        scope.detail = {"practitioner_id": person.id, "role": role}
        return MemberChange(case.code, person.name, role)

    @requires(Action.MANAGE_CASE)
    async def unassign_member(self, scope: CaseScope, name: str) -> MemberChange:
        """Take a practitioner of the case's team, found by name, off the case."""
        tx, case = scope.tx, scope.case
        person = await one_practitioner(tx, name, team_id=case.team_id)
        removed = await tx.cases.remove_member(case_id=case.id, practitioner_id=person.id)
        scope.detail = {"practitioner_id": person.id, "removed": removed}
        return MemberChange(case.code, person.name, None, changed=removed)
