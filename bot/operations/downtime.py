"""After a downtime, each team's coordinators are told once how long Relais was down and how
many of the team's reminders were sent late or summarised by the catch-up (counts and times;
queued in the outbox with a key naming the downtime, so a retry never tells twice)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.chat.checkins import text
from bot.chat.dates import local_time
from bot.checkins.alerts import tell_coordinators
from bot.checkins.escalation_steps import Lookups
from storage.database import Database
from storage.models import AuditEntryRow, CaseRow, CheckinOccurrenceRow, TeamRow

__all__ = ["tell_downtime"]


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts)


async def tell_downtime(db: Database, *, down_since: datetime, restarted: datetime) -> int:
    """Queue the notice for every team; returns how many coordinators were told."""
    async with db.transaction(restarted) as tx:
        conn = tx.conn
        late: Counter[str] = Counter()
        rows = await conn.execute(
            select(CaseRow.team_id)
            .join(CheckinOccurrenceRow, CheckinOccurrenceRow.case_id == CaseRow.id)
            .where(CheckinOccurrenceRow.late.is_(True))
            .where(CheckinOccurrenceRow.created_at >= restarted)
        )
        late.update(r.team_id for r in rows)
        summarised: Counter[str] = Counter()
        rows = await conn.execute(
            select(CaseRow.team_id, AuditEntryRow.detail)
            .join(CaseRow, CaseRow.id == AuditEntryRow.case_id)
            .where(AuditEntryRow.action == "checkin.missed_summarised")
            .where(AuditEntryRow.at >= restarted)
        )
        for r in rows:
            summarised[r.team_id] += int(json.loads(r.detail).get("count", 0))
        teams = [t.id for t in await conn.execute(select(TeamRow.id))]
        look = Lookups(tx)
        told = 0
        key = f"downtime.{int(down_since.timestamp())}"
        duration = _duration(restarted - down_since)
        for team in teams:
            counts = {"late": late[team], "summarised": summarised[team]}

            def render(lang: str, zone: str, counts: dict[str, int] = counts) -> str:
                since = local_time(down_since, zone, lang)
                until = local_time(restarted, zone, lang)
                return text(
                    lang, "downtime", duration=duration, since=since, until=until, **counts
                )

            alerted = await tell_coordinators(
                tx, look, key=f"{key}.{team}", team_id=team, render=render
            )
            told += len(alerted)
        await tx.audit(
            actor_kind="system",
            actor_id=None,
            action="operations.downtime_told",
            detail={
                "down_since": down_since.isoformat(),
                "restarted": restarted.isoformat(),
                "told": told,
            },
        )
    return told
