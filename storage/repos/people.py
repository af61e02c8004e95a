"""Teams, practitioners, their roles and channel identities, enrolment invites."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import (
    ChannelIdentityRow,
    InviteAttemptRow,
    InviteRow,
    PractitionerRoleRow,
    PractitionerRow,
    TeamRow,
    new_id,
)
from storage.records import ChannelIdentity, Invite, Practitioner, SealedName, Team
from storage.upsert import insert_ignoring, insert_replacing, lock_key

__all__ = ["People", "practitioners_of"]

_T = PractitionerRow.__tablename__


class People:
    """Repository of teams and practitioners. Keyword arguments in, frozen values out."""

    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    # -- teams --------------------------------------------------------------------------------

    async def team_by_name(self, *, name: str) -> Team | None:
        row = (await self._conn.execute(select(TeamRow).where(TeamRow.name == name))).first()
        return Team(row.id, row.name) if row else None

    async def team_by_id(self, *, team_id: str) -> Team | None:
        row = (await self._conn.execute(select(TeamRow).where(TeamRow.id == team_id))).first()
        return Team(row.id, row.name) if row else None

    async def teams(self) -> list[Team]:
        rows = await self._conn.execute(select(TeamRow).order_by(TeamRow.name))
        return [Team(r.id, r.name) for r in rows]

    async def add_team(self, *, name: str, now: datetime) -> Team:
        """The team of that name, created unless another transaction just did (an upsert:
        two commands creating the default team at once both get the same one)."""
        await self._conn.execute(
            insert_ignoring(self._conn, TeamRow, conflict=["name"]),
            {"id": new_id(), "name": name, "created_at": now},
        )
        found = await self.team_by_name(name=name)
        if found is None:  # pragma: no cover - the row exists once the insert returned
            raise LookupError(f"team {name!r} neither inserted nor found")
        return found

    # -- practitioners ------------------------------------------------------------------------

    async def _build(self, rows: Iterable[Any], *, with_identities: bool) -> list[Practitioner]:
        return await practitioners_of(
            self._conn, rows, keys=self._keys, with_identities=with_identities
        )

    async def get(self, *, practitioner_id: str) -> Practitioner | None:
        rows = await self._conn.execute(
            select(PractitionerRow).where(PractitionerRow.id == practitioner_id)
        )
        found = await self._build(rows, with_identities=True)
        return found[0] if found else None

    async def by_name(self, *, name: str, include_revoked: bool = True) -> list[Practitioner]:
        query = select(PractitionerRow).where(
            PractitionerRow.name_hash.in_(self._keys.lookup_hashes(name))
        )
        if not include_revoked:
            query = query.where(PractitionerRow.revoked_at.is_(None))
        return await self._build(await self._conn.execute(query), with_identities=True)

    async def all(self, *, team_id: str | None = None) -> list[Practitioner]:
        query = select(PractitionerRow).order_by(PractitionerRow.created_at)
        if team_id:
            query = query.where(PractitionerRow.team_id == team_id)
        return await self._build(await self._conn.execute(query), with_identities=True)

    async def names(self, *, ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self._conn.execute(
            select(PractitionerRow.id, PractitionerRow.display_name_enc).where(
                PractitionerRow.id.in_(wanted)
            )
        )
        return {r.id: SealedName(r.display_name_enc, r.id).open(self._keys) for r in rows}

    async def lock_name(self, *, team_id: str, name: str) -> None:
        """Hold, until the transaction ends, the right to create a practitioner of this name
        in this team (names carry no unique index: two invites for one new name at once
        would otherwise create two practitioners)."""
        await lock_key(self._conn, f"practitioner:{team_id}:{self._keys.lookup_hash(name)}")

    async def add(
        self,
        *,
        team_id: str,
        name: str,
        roles: Iterable[str],
        language: str,
        time_zone: str,
        now: datetime,
    ) -> str:
        pid = new_id()
        await self._conn.execute(
            insert(PractitionerRow).values(
                id=pid,
                team_id=team_id,
                display_name_enc=self._keys.encrypt(
                    name, table=_T, column="display_name", row_id=pid
                ),
                name_hash=self._keys.lookup_hash(name),
                language=language,
                time_zone=time_zone,
                unreachable=False,
                created_at=now,
            )
        )
        await self.add_roles(practitioner_id=pid, roles=roles)
        return pid

    async def add_roles(self, *, practitioner_id: str, roles: Iterable[str]) -> None:
        existing = set(
            (
                await self._conn.execute(
                    select(PractitionerRoleRow.role).where(
                        PractitionerRoleRow.practitioner_id == practitioner_id
                    )
                )
            ).scalars()
        )
        for role in sorted(set(roles) - existing):  # another transaction may add it too
            await self._conn.execute(
                insert_ignoring(
                    self._conn, PractitionerRoleRow, conflict=["practitioner_id", "role"]
                ),
                {"practitioner_id": practitioner_id, "role": role},
            )

    async def update_profile(self, *, practitioner_id: str, **fields: Any) -> None:
        """Update allow-listed profile fields only."""
        allowed = {"language", "time_zone", "quiet_start", "quiet_end", "unreachable"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not writable: {', '.join(sorted(unknown))}")
        if fields:
            await self._conn.execute(
                update(PractitionerRow)
                .where(PractitionerRow.id == practitioner_id)
                .values(**fields)
            )

    async def set_revoked(self, *, practitioner_id: str, at: datetime | None) -> None:
        await self._conn.execute(
            update(PractitionerRow)
            .where(PractitionerRow.id == practitioner_id)
            .values(revoked_at=at)
        )

    # -- channel identities -------------------------------------------------------------------

    async def practitioner_for(self, *, channel: str, user_id: str) -> str | None:
        return (
            await self._conn.execute(
                select(ChannelIdentityRow.practitioner_id)
                .join(PractitionerRow, PractitionerRow.id == ChannelIdentityRow.practitioner_id)
                .where(
                    ChannelIdentityRow.channel == channel,
                    ChannelIdentityRow.user_id == user_id,
                    PractitionerRow.revoked_at.is_(None),
                )
            )
        ).scalar_one_or_none()

    async def bind(
        self, *, practitioner_id: str, channel: str, user_id: str, now: datetime
    ) -> None:
        """Bind the chat identity to the practitioner, replacing any earlier binding and its
        pinned keys (one upsert: two redemptions from one chat at once do not collide)."""
        values = {
            "practitioner_id": practitioner_id,
            "channel": channel,
            "user_id": user_id,
            "bound_at": now,
            "unreachable": False,
            "pinned_master_key": None,
            "seen_master_key": None,
        }
        await self._conn.execute(
            insert_replacing(
                self._conn, ChannelIdentityRow, values, conflict=["channel", "user_id"]
            )
        )

    async def unbind_all(self, *, practitioner_id: str) -> int:
        result = await self._conn.execute(
            delete(ChannelIdentityRow).where(ChannelIdentityRow.practitioner_id == practitioner_id)
        )
        return int(result.rowcount)

    async def set_identity_unreachable(
        self, *, channel: str, user_id: str, unreachable: bool
    ) -> str | None:
        pid = await self.practitioner_for(channel=channel, user_id=user_id)
        if pid is None:
            return None
        await self._conn.execute(
            update(ChannelIdentityRow)
            .where(ChannelIdentityRow.channel == channel, ChannelIdentityRow.user_id == user_id)
            .values(unreachable=unreachable)
        )
        reachable_left = (
            await self._conn.execute(
                select(func.count()).where(
                    ChannelIdentityRow.practitioner_id == pid,
                    ChannelIdentityRow.unreachable.is_(False),
                )
            )
        ).scalar_one()
        await self.update_profile(practitioner_id=pid, unreachable=reachable_left == 0)
        return pid

    # -- invites ------------------------------------------------------------------------------

    async def add_invite(
        self,
        *,
        practitioner_id: str,
        code_hash: str,
        now: datetime,
        expires_at: datetime,
        role: str | None = None,
    ) -> str:
        invite_id = new_id()
        await self._conn.execute(
            insert(InviteRow).values(
                id=invite_id,
                code_hash=code_hash,
                practitioner_id=practitioner_id,
                created_at=now,
                expires_at=expires_at,
                role=role,
            )
        )
        return invite_id

    async def invite_by_hash(self, *, code_hash: str) -> Invite | None:
        row = (
            await self._conn.execute(select(InviteRow).where(InviteRow.code_hash == code_hash))
        ).first()
        if row is None:
            return None
        return Invite(
            row.id, row.practitioner_id, row.created_at, row.expires_at, row.used_at, row.role
        )

    async def use_invite(self, *, invite_id: str, now: datetime, channel: str) -> bool:
        """Mark an invite used; False if someone else used it first (single use)."""
        result = await self._conn.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None))
            .values(used_at=now, used_channel=channel)
        )
        return int(result.rowcount) == 1

    async def drop_pending_invites(self, *, practitioner_id: str) -> int:
        result = await self._conn.execute(
            delete(InviteRow).where(
                InviteRow.practitioner_id == practitioner_id, InviteRow.used_at.is_(None)
            )
        )
        return int(result.rowcount)

    async def failed_attempts(self, *, channel: str, user_id: str, since: datetime) -> int:
        return int(
            (
                await self._conn.execute(
                    select(func.count()).where(
                        InviteAttemptRow.channel == channel,
                        InviteAttemptRow.user_id == user_id,
                        InviteAttemptRow.at >= since,
                    )
                )
            ).scalar_one()
        )

    async def record_failed_attempt(self, *, channel: str, user_id: str, now: datetime) -> None:
        await self._conn.execute(
            insert(InviteAttemptRow).values(channel=channel, user_id=user_id, at=now)
        )

    async def forget_attempts_before(self, *, before: datetime) -> int:
        result = await self._conn.execute(
            delete(InviteAttemptRow).where(InviteAttemptRow.at < before)
        )
        return int(result.rowcount)


async def practitioners_of(
    conn: AsyncConnection, rows: Iterable[Any], *, keys: KeyRing | None, with_identities: bool
) -> list[Practitioner]:
    """`Practitioner`s of `practitioners` rows, with their roles (one query) and, if asked,
    their chat identities (one more). Without `keys` the names stay sealed (`SealedName`)."""
    rows = list(rows)
    ids = [r.id for r in rows]
    roles: dict[str, set[str]] = {i: set() for i in ids}
    identities: dict[str, list[ChannelIdentity]] = {i: [] for i in ids}
    if ids:
        for r in await conn.execute(
            select(PractitionerRoleRow).where(PractitionerRoleRow.practitioner_id.in_(ids))
        ):
            roles[r.practitioner_id].add(r.role)
        if with_identities:
            for ident in await conn.execute(
                select(ChannelIdentityRow)
                .where(ChannelIdentityRow.practitioner_id.in_(ids))
                .order_by(ChannelIdentityRow.id)
            ):
                identities[ident.practitioner_id].append(
                    ChannelIdentity(
                        ident.channel,
                        ident.user_id,
                        ident.unreachable,
                        ident.pinned_master_key,
                        ident.seen_master_key,
                    )
                )

    def name(row: Any) -> str | SealedName:
        if keys is None:
            return SealedName(row.display_name_enc, row.id)
        return keys.decrypt(row.display_name_enc, table=_T, column="display_name", row_id=row.id)

    return [
        Practitioner(
            id=r.id,
            team_id=r.team_id,
            display_name=name(r),
            roles=frozenset(roles[r.id]),
            language=r.language,
            time_zone=r.time_zone,
            quiet_start=r.quiet_start,
            quiet_end=r.quiet_end,
            unreachable=r.unreachable,
            revoked=r.revoked_at is not None,
            identities=tuple(identities[r.id]),
        )
        for r in rows
    ]
