"""Bulk seeding for the crash tests and the benchmark: a team, practitioners bound to Telegram
user ids, cases, and weekly schedules, some of them due at a chosen instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert

from bot.app import Relais
from storage.models import CheckinScheduleRow, new_id

FIRST_USER = 100_000


@dataclass(frozen=True)
class Seeded:
    schedule_ids: list[str]
    due_ids: list[str]  # schedules due at `due_at`
    user_of: dict[str, str]  # practitioner id -> telegram user id


async def seed(
    relais: Relais,
    *,
    now: datetime,
    people: int,
    cases: int,
    schedules: int,
    due: int,
    due_at: datetime,
) -> Seeded:
    """`schedules` weekly schedules over `cases` cases (round robin over `people` mentors);
    the first `due` of them are due at `due_at`, the others spread over the next week."""
    user_of: dict[str, str] = {}
    async with relais.db.transaction(now) as tx:
        team = await tx.people.add_team(name=f"Bench {new_id()[:6]}", now=now)
        pids = []
        for i in range(people):
            pid = await tx.people.add(
                team_id=team.id,
                name=f"mentor {i}",
                roles=["mentor"],
                language="en",
                time_zone="Europe/Paris",
                now=now,
            )
            user = str(FIRST_USER + i)
            await tx.people.bind(practitioner_id=pid, channel="telegram", user_id=user, now=now)
            pids.append(pid)
            user_of[pid] = user
        case_ids = []
        for c in range(cases):
            owner = pids[c % people]
            case = await tx.cases.add(code=f"K-{c:05X}", team_id=team.id, owner_id=owner, now=now)
            case_ids.append((case.id, owner))
    rows = []
    for s in range(schedules):
        case_id, owner = case_ids[s % cases]
        spread = timedelta(minutes=1 + (s * 7) % (7 * 24 * 60 - 2))
        next_due = due_at if s < due else due_at + spread
        rows.append(
            {
                "id": new_id(),
                "case_id": case_id,
                "kind": "weekly",
                "weekday": next_due.weekday(),
                "at_time": f"{next_due:%H:%M}",
                "time_zone": "UTC",
                "reminded_id": owner,
                "escalate_to_id": None,
                "grace_seconds": 7200,
                "urgent": False,
                "status": "active",
                "next_due_at": next_due,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with relais.db.begin() as conn:
        for start in range(0, len(rows), 5000):
            await conn.execute(insert(CheckinScheduleRow), rows[start : start + 5000])
    ids = [r["id"] for r in rows]
    return Seeded(ids, ids[:due], user_of)
