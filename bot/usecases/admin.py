"""Operator use cases of the command line: enrolment, teams, cases and their members."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.errors import InvalidInput, NotFound
from bot.lifecycle.schedules import end_with_case
from bot.policy import Role
from bot.review.checkin import add_review_checkin, follow_owner
from bot.usecases.base import EntryScope, UseCases, operator_command
from bot.usecases.identity import hash_invite_code
from bot.usecases.notes import CASE_ROLES
from storage.checkins_records import CaseRef
from storage.records import Case, CaseMember, Practitioner, Team
from storage.tx import Tx

__all__ = [
    "CASE_CODE",
    "CASE_ROLES",
    "AdminUseCases",
    "InviteCode",
    "RevokeResult",
    "check_case_code",
    "check_role",
    "find_case",
    "one_practitioner",
    "practitioner_dict",
    "resolve_team",
]

log = logging.getLogger(__name__)

CASE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
DEFAULT_TEAM = "default"


@dataclass(frozen=True, slots=True)
class InviteCode:
    code: str  # shown once; only its hash is stored
    practitioner_id: str
    role: str
    team: str
    expires_at: datetime
    deep_link: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "practitioner_id": self.practitioner_id,
            "role": self.role,
            "team": self.team,
            "expires_at": self.expires_at.isoformat(),
            "deep_link": self.deep_link,
        }


@dataclass(frozen=True, slots=True)
class RevokeResult:
    practitioner_id: str
    bindings_removed: int
    invites_dropped: int
    #: the cases they were a member of, and no longer are (a new invite does not restore them)
    memberships_removed: tuple[str, ...] = ()
    #: the cases they still own (each case has one owner): a new invite would restore access
    still_owner_of: tuple[str, ...] = ()


def practitioner_dict(p: Practitioner, team: str = "") -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "team": team,
        "roles": sorted(p.roles),
        "language": p.language,
        "time_zone": p.time_zone,
        "quiet_hours": [p.quiet_start, p.quiet_end] if p.quiet_start else None,
        "unreachable": p.unreachable,
        "revoked": p.revoked,
        "identities": [
            {
                "channel": i.channel,
                "user_id": i.user_id,
                "unreachable": i.unreachable,
                "master_key": i.pinned_master_key,
                "identity_changed": i.seen_master_key is not None,
            }
            for i in p.identities
        ],
    }


def check_role(role: str, allowed: tuple[str, ...] = tuple(Role)) -> str:
    role = role.strip().lower().replace("-", "_")
    if role not in allowed:
        raise InvalidInput(f"unknown role {role!r}: expected one of {', '.join(allowed)}").saying(
            "role", found=role, roles=", ".join(allowed)
        )
    return role


def check_case_code(code: str) -> str:
    code = code.strip().upper()
    if not CASE_CODE.match(code):
        raise InvalidInput(
            f"a case code is 2-32 letters, digits and dashes (e.g. K-7F3A), found {code!r}"
        )
    return code


async def resolve_team(tx: Tx, name: str | None, *, create: bool = False) -> Team:
    """The named team; without a name the only team there is (or a new 'default')."""
    if name:
        team = await tx.people.team_by_name(name=name)
        if team is None:
            if not create:
                raise NotFound(f"no team {name!r}")
            team = await tx.people.add_team(name=name, now=tx.now)
        return team
    teams = await tx.people.teams()
    if len(teams) == 1:
        return teams[0]
    if not teams:
        if not create:
            raise NotFound("no team yet: invite someone first, or give --team")
        return await tx.people.add_team(name=DEFAULT_TEAM, now=tx.now)
    names = ", ".join(t.name for t in teams)
    raise InvalidInput(f"several teams exist ({names}): say which with --team")


async def one_practitioner(
    tx: Tx, name: str, *, team_id: str | None = None, revoked: bool = True
) -> Practitioner:
    """The practitioner of this name; `team_id`: looked for in that team only (a name in
    another team is "no practitioner named", as for a name nobody has), `revoked` False:
    among those whose access stands."""
    found = await tx.people.by_name(name=name, include_revoked=revoked)
    if team_id is not None:
        found = [p for p in found if p.team_id == team_id]
    if not found:
        where = " in this team" if team_id is not None else ""
        raise NotFound(f"no practitioner named {name!r}{where}").saying(
            "no_practitioner", name=name
        )
    if len(found) > 1:
        raise InvalidInput(f"several practitioners are named {name!r}: use their id").saying(
            "several_practitioners", name=name
        )
    return found[0]


class AdminUseCases(UseCases):
    @operator_command("admin.invite")
    async def create_invite(
        self,
        scope: EntryScope,
        *,
        role: str,
        name: str,
        team: str | None = None,
        expires: timedelta = timedelta(hours=24),
        language: str | None = None,
        time_zone: str | None = None,
    ) -> InviteCode:
        """A one-time enrolment code for a (new or existing) practitioner with this role."""
        tx = scope.tx
        role = check_role(role)
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise InvalidInput("a practitioner needs a name of 1-200 characters")
        if expires <= timedelta(0) or expires > timedelta(days=30):
            raise InvalidInput("an invite expires after a positive delay of at most 30 days")
        the_team = await resolve_team(tx, team, create=True)
        await tx.people.lock_name(team_id=the_team.id, name=name)
        existing = await tx.people.by_name(name=name)
        existing = [p for p in existing if p.team_id == the_team.id]
        if len(existing) > 1:
            raise InvalidInput(f"several practitioners are named {name!r} in this team")
        if existing:  # the role is theirs once they redeem the code, not before
            pid = existing[0].id
        else:
            pid = await tx.people.add(
                team_id=the_team.id,
                name=name,
                roles=[role],
                language=language or self.config.default_language,
                time_zone=time_zone or self.config.checkins.default_time_zone,
                now=tx.now,
            )
        code = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-], 192 bits
        expires_at = tx.now + expires
        invite_id = await tx.people.add_invite(
            practitioner_id=pid,
            code_hash=hash_invite_code(code),
            now=tx.now,
            expires_at=expires_at,
            role=role,
        )
        bot = self.config.telegram.bot_username.lstrip("@")
        link = f"https://t.me/{bot}?start={code}" if bot else None
        scope.detail = {"practitioner_id": pid, "invite_id": invite_id, "role": role}
        log.info("invite %s created for practitioner %s", invite_id, pid)
        return InviteCode(code, pid, role, the_team.name, expires_at, link)

    @operator_command("admin.revoke")
    async def revoke(self, scope: EntryScope, name: str) -> RevokeResult:
        """Remove every channel binding, pending invite and case membership of a practitioner
        at once. Cases they own keep them as owner (a case has one owner): the result names
        those cases, to be given another owner."""
        tx = scope.tx
        person = await one_practitioner(tx, name)
        removed = await tx.people.unbind_all(practitioner_id=person.id)
        dropped = await tx.people.drop_pending_invites(practitioner_id=person.id)
        left = await tx.cases.remove_memberships(practitioner_id=person.id)
        owned = [
            case.code
            for case, relation in await tx.cases.for_practitioner(practitioner_id=person.id)
            if relation == "owner"
        ]
        await tx.people.set_revoked(practitioner_id=person.id, at=tx.now)
        scope.detail = {
            "practitioner_id": person.id,
            "bindings": removed,
            "memberships": len(left),
            "owned": len(owned),
        }
        log.info("practitioner %s revoked (%d bindings)", person.id, removed)
        return RevokeResult(person.id, removed, dropped, tuple(left), tuple(owned))

    @operator_command("admin.list")
    async def list_practitioners(self, scope: EntryScope) -> list[tuple[Practitioner, str]]:
        """Every practitioner with the name of their team."""
        scope.audit = False
        teams = {t.id: t.name for t in await scope.tx.people.teams()}
        return [(p, teams.get(p.team_id, "")) for p in await scope.tx.people.all()]

    @operator_command("admin.team")
    async def ensure_team(self, scope: EntryScope, name: str) -> Team:
        team = await resolve_team(scope.tx, name, create=True)
        scope.detail = {"team_id": team.id}
        return team

    @operator_command("case.create")
    async def create_case(
        self, scope: EntryScope, code: str, *, owner: str, team: str | None = None
    ) -> Case:
        """Open a case under a pseudonymous code with its one owner."""
        tx = scope.tx
        code = check_case_code(code)
        if await tx.cases.by_code(code=code) is not None:
            raise InvalidInput(f"case {code} already exists")
        person = await one_practitioner(tx, owner)
        if person.revoked:
            raise InvalidInput("the owner's access is revoked: invite them again first")
        the_team = await resolve_team(tx, team) if team else None
        team_id = the_team.id if the_team else person.team_id
        if team_id != person.team_id:
            raise InvalidInput("the owner must belong to the case's team")
        case = await tx.cases.add(code=code, team_id=team_id, owner_id=person.id, now=tx.now)
        review = await add_review_checkin(
            tx, self.config, CaseRef(case.id, case.code, team_id, person.id, case.status)
        )
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"owner_id": person.id, "review_schedule": review}
        return case

    @operator_command("case.add_member")
    async def add_member(
        self, scope: EntryScope, code: str, name: str, *, role: str
    ) -> CaseMember:
        """Add a practitioner of the case's team to the case with a role on it."""
        tx = scope.tx
        case = await find_case(tx, code)
        role = check_role(role, CASE_ROLES)
        person = await one_practitioner(tx, name)
        if person.team_id != case.team_id:
            raise InvalidInput("this practitioner belongs to another team")
        await tx.cases.put_member(
            case_id=case.id, practitioner_id=person.id, role=role, now=tx.now
        )
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"practitioner_id": person.id, "role": role}
        return CaseMember(case.id, person.id, role, tx.now)

    @operator_command("case.remove_member")
    async def remove_member(self, scope: EntryScope, code: str, name: str) -> bool:
        tx = scope.tx
        case = await find_case(tx, code)
        person = await one_practitioner(tx, name)
        removed = await tx.cases.remove_member(case_id=case.id, practitioner_id=person.id)
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"practitioner_id": person.id}
        return removed

    @operator_command("case.set_owner")
    async def set_owner(self, scope: EntryScope, code: str, name: str) -> None:
        tx = scope.tx
        case = await find_case(tx, code)
        person = await one_practitioner(tx, name)
        if person.team_id != case.team_id:
            raise InvalidInput("the owner must belong to the case's team")
        await tx.cases.set_owner(case_id=case.id, owner_id=person.id)
        await follow_owner(
            tx, self.config, case_id=case.id, team_id=case.team_id, owner_id=person.id
        )
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"owner_id": person.id}

    @operator_command("case.close")
    async def close_case(self, scope: EntryScope, code: str) -> Case:
        tx = scope.tx
        case = await find_case(tx, code)
        await tx.cases.set_status(case_id=case.id, status="closed", now=tx.now)
        # the check-ins still to come end with it, the monthly review among them
        scope.detail = {"ended": await end_with_case(tx, case_id=case.id)}
        scope.case_id, scope.case_code = case.id, case.code
        return await find_case(tx, code)

    @operator_command("case.list")
    async def all_cases(self, scope: EntryScope) -> list[tuple[Case, list[CaseMember]]]:
        scope.audit = False
        cases = await scope.tx.cases.all()
        return [(c, await scope.tx.cases.members(case_id=c.id)) for c in cases]


async def find_case(tx: Tx, code: str) -> Case:
    case = await tx.cases.by_code(code=check_case_code(code))
    if case is None:
        raise NotFound(f"no case {code.strip().upper()}").saying(
            "no_case", case=code.strip().upper()
        )
    return case
