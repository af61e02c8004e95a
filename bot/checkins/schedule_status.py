"""A schedule paused, resumed or cancelled (from a chat button, `bot.checkins.service`, or the
command line, `bot.checkins.operator`): reminders not yet delivered are withdrawn, running
escalations go on."""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import InvalidInput, NotFound
from storage.recurrence import next_occurrence
from storage.tx import Tx

__all__ = ["SCHEDULE_ACTIONS", "change_status"]

SCHEDULE_ACTIONS = ("pause", "resume", "cancel")


async def change_status(
    tx: Tx, case_id: str | None, schedule_id: str, action: str, *, poke: Callable[[Tx], None]
) -> str:
    """Pause, resume or cancel schedule `schedule_id` (of case `case_id`, if given) in the
    caller's transaction; returns its new status. `poke`: the timer is told after commit."""
    if action not in SCHEDULE_ACTIONS:
        raise InvalidInput(
            f"expected one of {', '.join(SCHEDULE_ACTIONS)}, found {action!r}"
        ).saying("checkin_action", found=action, actions=", ".join(SCHEDULE_ACTIONS))
    schedule = await tx.schedules.get(schedule_id=schedule_id)
    if schedule is None or (case_id is not None and schedule.case_id != case_id):
        raise NotFound(f"no check-in {schedule_id} on this case").saying(
            "no_checkin", checkin=schedule_id
        )
    if action == "resume":
        if schedule.status != "paused":
            raise InvalidInput(f"check-in {schedule_id} is {schedule.status}, not paused").saying(
                "checkin_not_paused", checkin=schedule_id
            )
        nxt = next_occurrence(schedule.rule, tx.now)
        await tx.schedules.update(
            schedule_id=schedule_id,
            now=tx.now,
            expected_status=("paused",),
            status="active" if nxt else "done",
            next_due_at=nxt,
        )
        poke(tx)
        return "active" if nxt else "done"
    new = "paused" if action == "pause" else "cancelled"
    if schedule.status not in ("active", "paused"):
        raise InvalidInput(f"check-in {schedule_id} is {schedule.status}").saying(
            "checkin_ended", checkin=schedule_id
        )
    await tx.schedules.update(
        schedule_id=schedule_id,
        now=tx.now,
        status=new,
        next_due_at=None if new == "cancelled" else schedule.next_due_at,
    )
    # reminders not yet delivered are withdrawn; running escalations continue (frozen)
    await tx.occurrences.withdraw_pending(schedule_id=schedule_id, now=tx.now)
    return new
