"""What check-ins read of cases, practitioners, chat identities, coordinators and the on-call
rota, as reminders, escalations and pages need them (read only): `tx.checkin_reads`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import (
    CaseRef,
    Identity,
    case_of,
)
from storage.models import (
    CaseRow,
    ChannelIdentityRow,
    ContactRow,
    OnCallRow,
    PractitionerRoleRow,
    PractitionerRow,
)
from storage.records import Practitioner
from storage.repos.people import practitioners_of

__all__ = ["CheckinReads"]


class CheckinReads:
    """Batch and single lookups for the check-in use cases and the dispatcher."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def case_by_code(self, *, code: str) -> CaseRef | None:
        row = (await self._conn.execute(select(CaseRow).where(CaseRow.code == code))).first()
        return case_of(row) if row else None

    async def case_by_id(self, *, case_id: str) -> CaseRef | None:
        row = (await self._conn.execute(select(CaseRow).where(CaseRow.id == case_id))).first()
        return case_of(row) if row else None

    async def cases_by_ids(self, *, ids: Iterable[str]) -> dict[str, CaseRef]:
        wanted = sorted(set(ids))
        out: dict[str, CaseRef] = {}
        for start in range(0, len(wanted), 500):
            rows = await self._conn.execute(
                select(CaseRow).where(CaseRow.id.in_(wanted[start : start + 500]))
            )
            out.update({r.id: case_of(r) for r in rows})
        return out

    async def practitioners_by_ids(self, *, ids: Iterable[str]) -> dict[str, Practitioner]:
        """The practitioners (revoked ones too), their names sealed until a message needs one."""
        wanted = sorted(set(ids))
        out: dict[str, Practitioner] = {}
        for start in range(0, len(wanted), 500):
            rows = await self._conn.execute(
                select(PractitionerRow).where(PractitionerRow.id.in_(wanted[start : start + 500]))
            )
            found = await practitioners_of(self._conn, rows, keys=None, with_identities=False)
            out.update({p.id: p for p in found})
        return out

    async def practitioner(self, *, practitioner_id: str) -> Practitioner | None:
        return (await self.practitioners_by_ids(ids=[practitioner_id])).get(practitioner_id)

    async def identities(self, *, practitioner_id: str) -> list[Identity]:
        """The chat identities to try, Matrix (end-to-end encrypted) first."""
        rows = await self._conn.execute(
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
        self, *, practitioner_ids: Iterable[str]
    ) -> dict[str, list[Identity]]:
        """The reachable chat identities of several practitioners (Matrix first), in one query."""
        wanted = sorted(set(practitioner_ids))
        out: dict[str, list[Identity]] = {pid: [] for pid in wanted}
        order = {"matrix": 0, "telegram": 1}
        for start in range(0, len(wanted), 500):
            rows = await self._conn.execute(
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

    async def team_coordinators(self, *, team_id: str) -> list[str]:
        """The team's active coordinators, longest-serving first."""
        rows = await self._conn.execute(
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

    async def oncall_practitioners(self, *, team_id: str, role: str, now: datetime) -> list[str]:
        """Who answers for `role` now, in rota order, then the directory's people for the role."""
        rota = await self._conn.execute(
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
        directory = await self._conn.execute(
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
        self, *, team_id: str, role: str, now: datetime, exclude: Iterable[str] = ()
    ) -> str | None:
        """The person behind the fallback contact role (on call now first), if it has one."""
        skip = set(exclude)
        for pid in await self.oncall_practitioners(team_id=team_id, role=role, now=now):
            if pid not in skip:
                return pid
        return None
