"""The check-ins of the case lifecycle, on the check-in machinery: a handover plan step or a
sharing-record review is a schedule (`tx.schedules`) reminding the case owner, materialised,
delivered and escalated by the dispatcher like any other. What a schedule is for is its
`label` (encrypted like every label, `checkin_schedules|label|<id>`): a code, never text typed
by anyone: `handover:<step id>`, `sharing_review`, `monthly_review` or `post_exit:<step
number>` (the post-exit follow-up, `bot.checkins.closing`). The reminder's text, and what an
escalation or a review pack calls the check-in, follow from it (`bot.lifecycle.reminders`)."""

from __future__ import annotations

from datetime import timedelta

from bot.errors import CaseClosed
from storage import checkins_repo as repo
from storage.models import new_id
from storage.recurrence import Recurrence, next_occurrence
from storage.tx import Tx

__all__ = [
    "HANDOVER",
    "MONTHLY_REVIEW",
    "POST_EXIT",
    "SHARING_REVIEW",
    "end_with_case",
    "labelled",
    "purpose_of",
    "schedule_for",
    "withdraw",
]

HANDOVER = "handover"
SHARING_REVIEW = "sharing_review"
#: the case's monthly multi-agency review (`bot.review.checkin`)
MONTHLY_REVIEW = "monthly_review"
#: a check-in of the post-exit follow-up (`post_exit:<n>`, n: the step of the exit plan)
POST_EXIT = "post_exit"
_TABLE, _COLUMN = "checkin_schedules", "label"


async def schedule_for(
    tx: Tx,
    case: repo.CaseRef,
    rule: Recurrence,
    *,
    reminded_id: str,
    grace: timedelta,
    purpose: str,
    created_by: str | None,
) -> str:
    """A schedule on the case for `purpose`, reminding `reminded_id`; returns its id."""
    if case.status != "open":
        raise CaseClosed(f"case {case.code} is closed").saying("closed", case=case.code)
    sid, label = labelled(tx, purpose)
    return await tx.schedules.add(
        schedule_id=sid,
        case_id=case.id,
        rule=rule,
        reminded_id=reminded_id,
        escalate_to_id=None,
        grace=grace,
        urgent=False,
        next_due_at=next_occurrence(rule, tx.now - timedelta(microseconds=1)),
        created_by=created_by,
        now=tx.now,
        label_enc=label,
    )


def labelled(tx: Tx, purpose: str) -> tuple[str, bytes]:
    """A new schedule's id and its encrypted label saying what it is for."""
    sid = new_id()
    return sid, tx.keys.encrypt(purpose, table=_TABLE, column=_COLUMN, row_id=sid)


def purpose_of(tx: Tx, schedule: repo.Schedule) -> str | None:
    """What a schedule is for (`handover:<step>`, `sharing_review`), None for the others."""
    if schedule.label_enc is None:
        return None
    return tx.keys.decrypt(schedule.label_enc, table=_TABLE, column=_COLUMN, row_id=schedule.id)


async def withdraw(tx: Tx, schedule_id: str | None) -> bool:
    """Cancel a schedule that has not fired yet (active or paused), with its reminders not yet
    delivered; True if it was pending. One that fired (done) or was cancelled stays as it is."""
    if schedule_id is None:
        return False
    changed = await tx.schedules.update(
        schedule_id=schedule_id,
        now=tx.now,
        expected_status=("active", "paused"),
        status="cancelled",
        next_due_at=None,
    )
    if not changed:
        return False
    await tx.occurrences.withdraw_pending(schedule_id=schedule_id, now=tx.now)
    return True


async def end_with_case(tx: Tx, *, case_id: str) -> int:
    """The case is being closed: every check-in still to come on it ends (the monthly review,
    the handover plan, the sharing record's review, any other), but the post-exit follow-up
    (`after_close`). Returns how many ended. The dispatcher would not run them on a closed case
    anyway: ending them keeps `/checkins` and `relais checkins list` true."""
    ended = 0
    for schedule in await tx.schedules.find(case_ids=[case_id]):
        if not schedule.after_close:
            ended += await withdraw(tx, schedule.id)
    return ended
