"""Check-in storage: cases, practitioners, chat identities, coordinators and the on-call rota,
as the dispatcher needs them (read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import (
    CaseRef,
    Identity,
    PractitionerRef,
    case_of,
    practitioner_of,
)
from storage.models import (
    CaseMemberRow,
    CaseRow,
    ChannelIdentityRow,
    ContactRow,
    OnCallRow,
    PractitionerRoleRow,
    PractitionerRow,
)
from storage.records import case_relation

__all__ = [
    "case_by_code",
    "case_by_id",
    "cases_by_ids",
    "fallback_practitioner",
    "identities",
    "identities_for",
    "oncall_practitioners",
    "practitioner",
    "practitioners_by_ids",
    "relation_to_case",
    "team_coordinators",
]

# -- cases and people ---------------------------------------------------------------------------


async def case_by_code(conn: AsyncConnection, *, code: str) -> CaseRef | None:
    row = (await conn.execute(select(CaseRow).where(CaseRow.code == code))).first()
    return case_of(row) if row else None


async def case_by_id(conn: AsyncConnection, *, case_id: str) -> CaseRef | None:
    row = (await conn.execute(select(CaseRow).where(CaseRow.id == case_id))).first()
    return case_of(row) if row else None


async def cases_by_ids(conn: AsyncConnection, *, ids: Iterable[str]) -> dict[str, CaseRef]:
    wanted = sorted(set(ids))
    out: dict[str, CaseRef] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(CaseRow).where(CaseRow.id.in_(wanted[start : start + 500]))
        )
        out.update({r.id: case_of(r) for r in rows})
    return out


async def practitioners_by_ids(
    conn: AsyncConnection, *, ids: Iterable[str]
) -> dict[str, PractitionerRef]:
    wanted = sorted(set(ids))
    out: dict[str, PractitionerRef] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(PractitionerRow).where(PractitionerRow.id.in_(wanted[start : start + 500]))
        )
        out.update({r.id: practitioner_of(r) for r in rows})
    return out


async def relation_to_case(conn: AsyncConnection, *, case: CaseRef, practitioner_id: str) -> str:
    if case.owner_id == practitioner_id:  # no query needed
        return case_relation(owner_id=case.owner_id, practitioner_id=practitioner_id, member=True)
    member = await conn.scalar(
        select(func.count())
        .select_from(CaseMemberRow)
        .where(CaseMemberRow.case_id == case.id, CaseMemberRow.practitioner_id == practitioner_id)
    )
    return case_relation(
        owner_id=case.owner_id, practitioner_id=practitioner_id, member=bool(member)
    )


async def practitioner(conn: AsyncConnection, *, practitioner_id: str) -> PractitionerRef | None:
    row = (
        await conn.execute(select(PractitionerRow).where(PractitionerRow.id == practitioner_id))
    ).first()
    return practitioner_of(row) if row is not None else None


async def identities(conn: AsyncConnection, *, practitioner_id: str) -> list[Identity]:
    """The chat identities to try, Matrix (end-to-end encrypted) first."""
    rows = await conn.execute(
        select(ChannelIdentityRow.channel, ChannelIdentityRow.user_id)
        .join(PractitionerRow, PractitionerRow.id == ChannelIdentityRow.practitioner_id)
        .where(
            ChannelIdentityRow.practitioner_id == practitioner_id,
            ChannelIdentityRow.unreachable.is_(False),
            PractitionerRow.revoked_at.is_(None),
        )
        .order_by(ChannelIdentityRow.channel.desc(), ChannelIdentityRow.id)
    )
    order = {"matrix": 0, "telegram": 1}
    found = [Identity(r.channel, r.user_id) for r in rows]
    return sorted(found, key=lambda i: order.get(i.channel, 2))


async def identities_for(
    conn: AsyncConnection, *, practitioner_ids: Iterable[str]
) -> dict[str, list[Identity]]:
    """The reachable chat identities of several practitioners (Matrix first), in one query."""
    wanted = sorted(set(practitioner_ids))
    out: dict[str, list[Identity]] = {pid: [] for pid in wanted}
    order = {"matrix": 0, "telegram": 1}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(
                ChannelIdentityRow.practitioner_id,
                ChannelIdentityRow.channel,
                ChannelIdentityRow.user_id,
                ChannelIdentityRow.pinned_master_key,
                ChannelIdentityRow.seen_master_key,
            )
            .join(PractitionerRow, PractitionerRow.id == ChannelIdentityRow.practitioner_id)
            .where(
                ChannelIdentityRow.practitioner_id.in_(wanted[start : start + 500]),
                ChannelIdentityRow.unreachable.is_(False),
                PractitionerRow.revoked_at.is_(None),
            )
            .order_by(ChannelIdentityRow.id)
        )
        for r in rows:
            out[r.practitioner_id].append(
                Identity(r.channel, r.user_id, r.pinned_master_key, r.seen_master_key)
            )
    for found in out.values():
        found.sort(key=lambda i: order.get(i.channel, 2))
    return out


async def team_coordinators(conn: AsyncConnection, *, team_id: str) -> list[str]:
    """The team's active coordinators, longest-serving first."""
    rows = await conn.execute(
        select(PractitionerRow.id)
        .join(PractitionerRoleRow, PractitionerRoleRow.practitioner_id == PractitionerRow.id)
        .where(
            PractitionerRow.team_id == team_id,
            PractitionerRoleRow.role == "coordinator",
            PractitionerRow.revoked_at.is_(None),
        )
        .order_by(PractitionerRow.created_at, PractitionerRow.id)
    )
    return [str(r.id) for r in rows]


async def oncall_practitioners(
    conn: AsyncConnection, *, team_id: str, role: str, now: datetime
) -> list[str]:
    """Who answers for `role` now, in rota order, then the directory's people for the role."""
    rota = await conn.execute(
        select(ContactRow.practitioner_id)
        .join(OnCallRow, OnCallRow.contact_id == ContactRow.id)
        .where(
            OnCallRow.team_id == team_id,
            OnCallRow.role == role,
            OnCallRow.starts_at <= now,
            OnCallRow.ends_at > now,
            ContactRow.practitioner_id.is_not(None),
        )
        .order_by(OnCallRow.position, OnCallRow.id)
    )
    directory = await conn.execute(
        select(ContactRow.practitioner_id)
        .where(
            ContactRow.team_id == team_id,
            ContactRow.role == role,
            ContactRow.practitioner_id.is_not(None),
        )
        .order_by(ContactRow.priority, ContactRow.key)
    )
    out: list[str] = []
    for row in [*rota, *directory]:
        if row.practitioner_id not in out:
            out.append(str(row.practitioner_id))
    return out


async def fallback_practitioner(
    conn: AsyncConnection, *, team_id: str, role: str, now: datetime, exclude: Iterable[str] = ()
) -> str | None:
    """The person behind the fallback contact role (on call now first), if it has one."""
    skip = set(exclude)
    for pid in await oncall_practitioners(conn, team_id=team_id, role=role, now=now):
        if pid not in skip:
            return pid
    return None
