"""The reminders of the lifecycle's check-ins (`bot.lifecycle.schedules`): the text the case
owner gets for a handover plan step (with the continuity items still open, on the step that
lists them), for a sharing record due for review, or for the case's monthly review. Called by
the escalation step that delivers a check-in's first reminder (`bot.checkins.escalation_steps`);
its buttons, its escalation and its delivery are those of every check-in. Case codes, dates and
the generic labels of the content only: never a name, a note or anything typed.
"""

from __future__ import annotations

from typing import Protocol

from bot.chat.catalog import bundled
from bot.lifecycle.content import content_dir, handover_plan
from bot.lifecycle.schedules import HANDOVER, MONTHLY_REVIEW, SHARING_REVIEW, purpose_of
from storage import checkins_repo as repo
from storage.tx import Tx

__all__ = ["lifecycle_reminder"]


class _Lookups(Protocol):
    async def schedule(self, schedule_id: str | None) -> repo.Schedule | None: ...
    async def case(self, case_id: str | None) -> repo.CaseRef | None: ...


async def lifecycle_reminder(
    tx: Tx, look: _Lookups, occ: repo.Occurrence, lang: str
) -> str | None:
    """The reminder's text for a lifecycle check-in, None for any other check-in."""
    schedule = await look.schedule(occ.schedule_id)
    case = await look.case(occ.case_id)
    purpose = purpose_of(tx, schedule) if schedule is not None else None
    if purpose is None or case is None:
        return None
    catalog = bundled()
    if purpose == MONTHLY_REVIEW:  # the case code only (bot.review.checkin)
        return catalog.text(lang, "review.reminder", case=case.code)
    if purpose == SHARING_REVIEW:
        record = await tx.sharing.get(case_id=case.id)
        when = record.review_on.isoformat() if record and record.review_on else "-"
        return catalog.text(lang, "sharing.review_reminder", case=case.code, date=when)
    kind, _, step_id = purpose.partition(":")
    if kind != HANDOVER:
        return None
    plan = handover_plan(content_dir())
    step = plan.step(step_id)
    release = await tx.handover.release(case_id=case.id)
    lines = [
        catalog.text(
            lang,
            "handover.reminder",
            case=case.code,
            step=step.text(lang) if step else step_id,
            release=release.release_on.isoformat() if release else "-",
        )
    ]
    ticks = await tx.handover.ticks(case_id=case.id)
    still_open = [i for i in plan.checklist if not (i.id in ticks and ticks[i.id].done)]
    if step is not None and step.open_items and still_open:
        items = "\n".join(f"- {item.text(lang)}" for item in still_open)
        lines.append(catalog.text(lang, "handover.reminder_open", items=items, case=case.code))
    elif not still_open:
        lines.append(catalog.text(lang, "handover.reminder_all_done"))
    else:
        lines.append(
            catalog.text(
                lang,
                "handover.reminder_count",
                open=len(still_open),
                total=len(plan.checklist),
                case=case.code,
            )
        )
    return "\n".join(lines)
