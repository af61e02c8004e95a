"""Usage figures and crisis-referral counts: day totals added to, never a row per event.

`add` folds a batch of counts into the day rows in one statement per table (an insert that adds
to the count on conflict, on SQLite and PostgreSQL alike). Nothing here names a person, a case
or a chat: the keys are a day, a dialog, a version, a language, a node, what happened there and
a team.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import PractitionerRow, ReferralCountRow, TeamRow, UsageCountRow

__all__ = ["ReferralKey", "ReferralTotal", "Usage", "UsageKey", "UsageTotal"]

_USAGE = cast(Table, UsageCountRow.__table__)
_REFERRALS = cast(Table, ReferralCountRow.__table__)


@dataclass(frozen=True, slots=True)
class UsageKey:
    """What one count is about: (day, dialog, version, language, node, measure, item, team)."""

    day: date
    dialog_id: str
    dialog_version: int
    lang: str
    node_id: str
    measure: str  # visit | choice | exit | sos | page | emergency | time
    item: str = ""
    team_id: str = ""  # "" = unknown


@dataclass(frozen=True, slots=True)
class ReferralKey:
    day: date
    team_id: str
    dialog_id: str
    entry: str  # crisis | sos | button | goto
    kind: str  # page | emergency


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """A count summed over days (and teams, unless asked per team: `team_id` "" otherwise)."""

    dialog_id: str
    dialog_version: int
    lang: str
    node_id: str
    measure: str
    item: str
    count: int
    team_id: str = ""


@dataclass(frozen=True, slots=True)
class ReferralTotal:
    team_id: str
    dialog_id: str
    entry: str
    kind: str
    count: int


def _upsert(conn: AsyncConnection, table: Table, keys: list[str]) -> Any:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={"count": table.c.count + statement.excluded.count}
    )


_USAGE_KEYS = [
    "day",
    "dialog_id",
    "dialog_version",
    "lang",
    "node_id",
    "measure",
    "item",
    "team_id",
]
_REFERRAL_KEYS = ["day", "team_id", "dialog_id", "entry", "kind"]


class Usage:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        usage: Mapping[UsageKey, int] | None = None,
        referrals: Mapping[ReferralKey, int] | None = None,
    ) -> None:
        """Add these counts to the day totals."""
        if usage:
            rows = [
                {name: getattr(key, name) for name in _USAGE_KEYS} | {"count": count}
                for key, count in usage.items()
                if count
            ]
            await self._conn.execute(_upsert(self._conn, _USAGE, _USAGE_KEYS), rows)
        if referrals:
            rows = [
                {name: getattr(key, name) for name in _REFERRAL_KEYS} | {"count": count}
                for key, count in referrals.items()
                if count
            ]
            await self._conn.execute(_upsert(self._conn, _REFERRALS, _REFERRAL_KEYS), rows)

    async def totals(
        self,
        *,
        since: date,
        until: date | None = None,
        dialog_id: str | None = None,
        version: int | None = None,
        lang: str | None = None,
        team_id: str | None = None,
        by_team: bool = False,
    ) -> list[UsageTotal]:
        """Counts from `since` (to `until`, exclusive), summed over the days, per dialog,
        version, language, node, measure and item; of one team (`team_id`), and per team
        (`by_team`) or every team together."""
        t = _USAGE
        columns = [t.c.dialog_id, t.c.dialog_version, t.c.lang, t.c.node_id, t.c.measure, t.c.item]
        query = select(*columns, t.c.count, t.c.team_id).where(t.c.day >= since)
        if until is not None:
            query = query.where(t.c.day < until)
        if dialog_id is not None:
            query = query.where(t.c.dialog_id == dialog_id)
        if version is not None:
            query = query.where(t.c.dialog_version == version)
        if lang is not None:
            query = query.where(t.c.lang == lang)
        if team_id is not None:
            query = query.where(t.c.team_id == team_id)
        sums: dict[tuple[str, int, str, str, str, str, str], int] = {}
        for row in (await self._conn.execute(query)).all():
            team = row[7] if by_team else ""
            key = (row[0], int(row[1]), row[2], row[3], row[4], row[5], team)
            sums[key] = sums.get(key, 0) + int(row[6])
        return [UsageTotal(*key[:6], count, key[6]) for key, count in sorted(sums.items())]

    async def referral_totals(
        self,
        *,
        since: date,
        until: date | None = None,
        team_id: str | None = None,
        dialog_id: str | None = None,
    ) -> list[ReferralTotal]:
        t = _REFERRALS
        query = select(t.c.team_id, t.c.dialog_id, t.c.entry, t.c.kind, t.c.count).where(
            t.c.day >= since
        )
        if until is not None:
            query = query.where(t.c.day < until)
        if team_id is not None:
            query = query.where(t.c.team_id == team_id)
        if dialog_id is not None:
            query = query.where(t.c.dialog_id == dialog_id)
        sums: dict[tuple[str, str, str, str], int] = {}
        for row in (await self._conn.execute(query)).all():
            key = (row[0], row[1], row[2], row[3])
            sums[key] = sums.get(key, 0) + int(row[4])
        return [ReferralTotal(*key, count=count) for key, count in sorted(sums.items())]

    async def teams_of(self, practitioner_ids: list[str]) -> dict[str, str]:
        """Practitioner id -> team id (an expired conversation's figures go to its team)."""
        if not practitioner_ids:
            return {}
        query = select(PractitionerRow.id, PractitionerRow.team_id).where(
            PractitionerRow.id.in_(practitioner_ids)
        )
        return {row[0]: row[1] or "" for row in (await self._conn.execute(query)).all()}

    async def team_names(self) -> dict[str, str]:
        """Team id -> name, for the referral counts of each team."""
        rows = (await self._conn.execute(select(TeamRow.id, TeamRow.name))).all()
        return {row[0]: row[1] for row in rows}
