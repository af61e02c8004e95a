"""Cases and case members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import CaseMemberRow, CaseRow, new_id
from storage.records import Case, CaseMember, case_relation

__all__ = ["Cases"]


def _case(row: Any) -> Case:
    return Case(
        id=row.id,
        team_id=row.team_id,
        code=row.code,
        status=row.status,
        owner_id=row.owner_id,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


class Cases:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def by_code(self, *, code: str) -> Case | None:
        row = (await self._conn.execute(select(CaseRow).where(CaseRow.code == code))).first()
        return _case(row) if row else None

    async def by_id(self, *, case_id: str) -> Case | None:
        row = (await self._conn.execute(select(CaseRow).where(CaseRow.id == case_id))).first()
        return _case(row) if row else None

    async def relation(self, *, case_id: str, owner_id: str, practitioner_id: str) -> str:
        """The practitioner's relation to a case already read: owner, member or other."""
        member = owner_id != practitioner_id and bool(
            await self._conn.scalar(
                select(func.count())
                .select_from(CaseMemberRow)
                .where(
                    CaseMemberRow.case_id == case_id,
                    CaseMemberRow.practitioner_id == practitioner_id,
                )
            )
        )
        return case_relation(owner_id=owner_id, practitioner_id=practitioner_id, member=member)

    async def with_relation(self, *, code: str, practitioner_id: str) -> tuple[Case, str] | None:
        """The case and the practitioner's relation to it: owner, member or other."""
        row = (
            await self._conn.execute(
                select(CaseRow, CaseMemberRow.role)
                .outerjoin(
                    CaseMemberRow,
                    and_(
                        CaseMemberRow.case_id == CaseRow.id,
                        CaseMemberRow.practitioner_id == practitioner_id,
                    ),
                )
                .where(CaseRow.code == code)
            )
        ).first()
        if row is None:
            return None
        case = _case(row)
        relation = case_relation(
            owner_id=case.owner_id, practitioner_id=practitioner_id, member=row.role is not None
        )
        return case, relation

    async def for_practitioner(self, *, practitioner_id: str) -> list[tuple[Case, str]]:
        """Cases the practitioner owns or is a member of, with the relation."""
        rows = await self._conn.execute(
            select(CaseRow, CaseMemberRow.role)
            .outerjoin(
                CaseMemberRow,
                and_(
                    CaseMemberRow.case_id == CaseRow.id,
                    CaseMemberRow.practitioner_id == practitioner_id,
                ),
            )
            .where(or_(CaseRow.owner_id == practitioner_id, CaseMemberRow.role.is_not(None)))
            .order_by(CaseRow.code)
        )
        return [
            (
                _case(r),
                case_relation(
                    owner_id=r.owner_id, practitioner_id=practitioner_id, member=r.role is not None
                ),
            )
            for r in rows
        ]

    async def for_team(self, *, team_id: str) -> list[Case]:
        rows = await self._conn.execute(
            select(CaseRow).where(CaseRow.team_id == team_id).order_by(CaseRow.code)
        )
        return [_case(r) for r in rows]

    async def all(self) -> list[Case]:
        return [_case(r) for r in await self._conn.execute(select(CaseRow).order_by(CaseRow.code))]

    async def add(self, *, code: str, team_id: str, owner_id: str, now: datetime) -> Case:
        case_id = new_id()
        await self._conn.execute(
            insert(CaseRow).values(
                id=case_id,
                team_id=team_id,
                code=code,
                status="open",
                owner_id=owner_id,
                created_at=now,
            )
        )
        return Case(case_id, team_id, code, "open", owner_id, now, None)

    async def set_status(self, *, case_id: str, status: str, now: datetime) -> None:
        await self._conn.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id)
            .values(status=status, closed_at=now if status == "closed" else None)
        )

    async def set_owner(self, *, case_id: str, owner_id: str) -> None:
        await self._conn.execute(
            update(CaseRow).where(CaseRow.id == case_id).values(owner_id=owner_id)
        )

    async def delete(self, *, case_id: str) -> None:
        await self._conn.execute(delete(CaseRow).where(CaseRow.id == case_id))

    # -- members ------------------------------------------------------------------------------

    async def members(self, *, case_id: str) -> list[CaseMember]:
        rows = await self._conn.execute(
            select(CaseMemberRow)
            .where(CaseMemberRow.case_id == case_id)
            .order_by(CaseMemberRow.added_at)
        )
        return [CaseMember(r.case_id, r.practitioner_id, r.role, r.added_at) for r in rows]

    async def member(self, *, case_id: str, practitioner_id: str) -> CaseMember | None:
        row = (
            await self._conn.execute(
                select(CaseMemberRow).where(
                    CaseMemberRow.case_id == case_id,
                    CaseMemberRow.practitioner_id == practitioner_id,
                )
            )
        ).first()
        return (
            CaseMember(row.case_id, row.practitioner_id, row.role, row.added_at) if row else None
        )

    async def put_member(
        self, *, case_id: str, practitioner_id: str, role: str, now: datetime
    ) -> None:
        await self._conn.execute(
            delete(CaseMemberRow).where(
                CaseMemberRow.case_id == case_id,
                CaseMemberRow.practitioner_id == practitioner_id,
            )
        )
        await self._conn.execute(
            insert(CaseMemberRow).values(
                case_id=case_id, practitioner_id=practitioner_id, role=role, added_at=now
            )
        )

    async def remove_memberships(self, *, practitioner_id: str) -> list[str]:
        """Take the practitioner off every case they are a member of; returns the case codes."""
        codes = list(
            (
                await self._conn.execute(
                    select(CaseRow.code)
                    .join(CaseMemberRow, CaseMemberRow.case_id == CaseRow.id)
                    .where(CaseMemberRow.practitioner_id == practitioner_id)
                    .order_by(CaseRow.code)
                )
            ).scalars()
        )
        await self._conn.execute(
            delete(CaseMemberRow).where(CaseMemberRow.practitioner_id == practitioner_id)
        )
        return codes

    async def remove_member(self, *, case_id: str, practitioner_id: str) -> bool:
        result = await self._conn.execute(
            delete(CaseMemberRow).where(
                CaseMemberRow.case_id == case_id,
                CaseMemberRow.practitioner_id == practitioner_id,
            )
        )
        return int(result.rowcount) == 1
