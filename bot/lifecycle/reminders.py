"""The reminders of the lifecycle's check-ins (`bot.lifecycle.schedules`): the text the case
owner gets for a handover plan step (with the continuity items still open, on the step that
lists them), for a sharing record due for review, for the case's monthly review, or for a
check-in of the post-exit follow-up; and what such a check-in is called when it escalates or
in a review pack (`checkin_what`: "handover, Release day"). Called by the escalation step that
delivers a check-in's reminders (`bot.checkins.escalation_steps`); its buttons, its escalation
and its delivery are those of every check-in. Case codes, dates and the generic labels of the
content only: never a name, a note or anything typed. The content folder and its catalog: the
process's (`bot.chat.catalog.content_in_use`, the one place it is a module global: the
check-in dispatcher that calls these is built without the configuration).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.chat.catalog import content_in_use, in_use
from bot.exit.plan import load_exit_plan
from bot.lifecycle.content import handover_plan
from bot.lifecycle.schedules import (
    HANDOVER,
    MONTHLY_REVIEW,
    POST_EXIT,
    SHARING_REVIEW,
    purpose_of,
)
from storage import checkins_repo as repo
from storage.tx import Tx

__all__ = ["checkin_what", "lifecycle_escalation", "lifecycle_reminder"]


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
    catalog = in_use()
    if purpose.startswith(f"{POST_EXIT}:"):
        what = checkin_what(purpose, lang, content_in_use())
        return catalog.text(lang, "course.post_exit_reminder", step=what, case=case.code)
    if purpose == MONTHLY_REVIEW:  # the case code only (bot.review.checkin)
        return catalog.text(lang, "review.reminder", case=case.code)
    if purpose == SHARING_REVIEW:
        record = await tx.sharing.get(case_id=case.id)
        when = record.review_on.isoformat() if record and record.review_on else "-"
        return catalog.text(lang, "sharing.review_reminder", case=case.code, date=when)
    kind, _, step_id = purpose.partition(":")
    if kind != HANDOVER:
        return None
    plan = handover_plan(content_in_use())
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


def checkin_what(purpose: str | None, lang: str, content: Path) -> str | None:
    """What a lifecycle check-in is, in a few words of the catalog and of the `content`
    folder's plans ("handover, Release day", "monthly review", "Post-exit follow-up, 1
    month"); None for any other."""
    if purpose is None:
        return None
    catalog = in_use()
    kind, _, step_id = purpose.partition(":")
    if kind == HANDOVER:
        step = handover_plan(content).step(step_id)
        label = step.text(lang) if step else step_id
        return catalog.text(lang, "course.what_handover", step=label)
    if kind == POST_EXIT:
        steps = load_exit_plan(content).follow_up
        number = int(step_id) if step_id.isdigit() else 0
        if 1 <= number <= len(steps):
            words = steps[number - 1].label
            return words.get(lang) or words["en"]
        return catalog.text(lang, "course.what_post_exit")
    if kind in (MONTHLY_REVIEW, SHARING_REVIEW):
        return catalog.text(lang, f"course.what_{kind}")
    return None


async def lifecycle_escalation(
    tx: Tx, look: _Lookups, occ: repo.Occurrence, lang: str, *, due: str, unreachable: bool
) -> str | None:
    """The escalation's text for a lifecycle check-in, saying what it is (no case text); None
    for any other check-in."""
    schedule = await look.schedule(occ.schedule_id)
    what = checkin_what(purpose_of(tx, schedule) if schedule else None, lang, content_in_use())
    case = await look.case(occ.case_id)
    if what is None or case is None:
        return None
    key = "course.escalation_unreachable" if unreachable else "course.escalation"
    return in_use().text(lang, key, what=what, case=case.code, due=due)
