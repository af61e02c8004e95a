"""Each open case's monthly review check-in, on the check-in machinery (`tx.schedules`, the
dispatcher, escalation): a `Monthly` rule reminding the case owner on their team's review day
(`relais team set --review-day N`; default `[checkins] review_day`) at `[checkins]
review_time` in the owner's time zone. `case_reviews` says which schedule is the case's review
(one per case); the schedule's label (`monthly_review`) makes its reminder read "Monthly review
of case K-7F3A is due" and nothing else (`bot.lifecycle.reminders`).

These functions run in the caller's transaction: `create_case` gives a new case its review
(`add_review_checkin`), `set_owner` makes it follow the owner (`follow_owner`); closing the
case ends it with its other check-ins (`bot.lifecycle.schedules.end_with_case`).
`bot.review.schedule` holds the use cases (at start, the cases without one; a team's review
day).
"""

from __future__ import annotations

from datetime import time

from bot.config import Config
from bot.lifecycle.schedules import MONTHLY_REVIEW, schedule_for
from storage.checkins_records import CaseRef
from storage.recurrence import Monthly, next_occurrence
from storage.tx import Tx

__all__ = ["add_review_checkin", "follow_owner", "review_rule"]


async def review_rule(tx: Tx, config: Config, *, team_id: str, owner_id: str) -> Monthly:
    """The review rule of a case of that team owned by that practitioner."""
    day = await tx.reviews.team_day(team_id=team_id) or config.checkins.review_day
    hours, minutes = (int(part) for part in config.checkins.review_time.split(":"))
    owner = await tx.people.get(practitioner_id=owner_id)
    time_zone = owner.time_zone if owner is not None else config.checkins.default_time_zone
    return Monthly(day, time(hours, minutes), time_zone)


async def add_review_checkin(tx: Tx, config: Config, case: CaseRef) -> str | None:
    """Give the case its review check-in unless it has one; the new schedule's id, or None.
    The schedule's label is the code `monthly_review` (`bot.lifecycle.schedules`): its
    reminder reads "Monthly review of case K-7F3A is due" (`bot.lifecycle.reminders`)."""
    if await tx.reviews.schedule_of(case_id=case.id) is not None:
        return None
    rule = await review_rule(tx, config, team_id=case.team_id, owner_id=case.owner_id)
    schedule_id = await schedule_for(
        tx,
        case,
        rule,
        reminded_id=case.owner_id,
        grace=config.checkins.grace_period,
        purpose=MONTHLY_REVIEW,
        created_by=None,
    )
    if not await tx.reviews.link(case_id=case.id, schedule_id=schedule_id, now=tx.now):
        # another process linked one first: ours goes
        await tx.schedules.update(schedule_id=schedule_id, now=tx.now, status="cancelled")
        return None
    return schedule_id


async def follow_owner(
    tx: Tx, config: Config, *, case_id: str, team_id: str, owner_id: str
) -> None:
    """The case has a new owner: its review check-in reminds them, in their time zone."""
    schedule_id = await tx.reviews.schedule_of(case_id=case_id)
    schedule = await tx.schedules.get(schedule_id=schedule_id) if schedule_id else None
    if schedule is None or schedule.status not in ("active", "paused"):
        return
    rule = await review_rule(tx, config, team_id=team_id, owner_id=owner_id)
    await tx.schedules.revise(
        schedule_id=schedule.id,
        rule=rule,
        reminded_id=owner_id,
        next_due_at=next_occurrence(rule, tx.now),
        now=tx.now,
    )
