"""The use cases of the monthly review check-in (see `bot.review.checkin`): at start, every
open case without one gets one (`ensure_review_checkins`, idempotent: the link is an upsert
keyed on the case); a team's review day (`relais team set --review-day N`, `relais team list`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.review.checkin import add_review_checkin, follow_owner
from bot.usecases.admin import resolve_team
from bot.usecases.base import EntryScope, UseCases, channel_entry, operator_command
from storage.checkins_records import CaseRef

__all__ = ["ReviewDay", "ReviewScheduleUseCases"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReviewDay:
    team: str
    day: int
    #: True: the team's own day; False: the configured default (`[checkins] review_day`)
    own: bool
    #: review check-ins moved to the new day (set_review_day)
    moved: int = 0


class ReviewScheduleUseCases(UseCases):
    @channel_entry("review.ensure_checkins")
    async def ensure_review_checkins(self, scope: EntryScope) -> int:
        """At start: every open case without a review check-in gets one (cases opened before
        the review existed). Idempotent; audited (as the system) only when it made some."""
        scope.audit = False
        made = 0
        for link in await scope.tx.reviews.open_cases():
            case = CaseRef(link.case_id, link.case_code, link.team_id, link.owner_id, "open")
            if link.schedule_id is None and await add_review_checkin(scope.tx, self.config, case):
                made += 1
        if made:
            scope.audit = True
            scope.detail = {"made": made}
            log.info("gave %d open case(s) their monthly review check-in", made)
        return made

    @operator_command("team.review_day")
    async def set_review_day(
        self, scope: EntryScope, team: str | None, day: int | None
    ) -> ReviewDay:
        """`relais team set --review-day N` (None: back to the configured default): the day
        of the team's monthly reviews; every open case's review check-in moves to it."""
        if day is not None and not 1 <= day <= 31:
            raise InvalidInput(
                f"expected a day of the month from 1 to 31 (29-31: the month's last day in "
                f"shorter months), found {day}"
            )
        tx = scope.tx
        the_team = await resolve_team(tx, team)
        await tx.reviews.set_team_day(team_id=the_team.id, day=day)
        moved = 0
        for link in await tx.reviews.open_cases(team_id=the_team.id):
            schedule = (
                await tx.schedules.get(schedule_id=link.schedule_id) if link.schedule_id else None
            )
            if schedule is not None and schedule.status in ("active", "paused"):
                await follow_owner(
                    tx,
                    self.config,
                    case_id=link.case_id,
                    team_id=link.team_id,
                    owner_id=link.owner_id,
                )
                moved += 1
        scope.detail = {"team_id": the_team.id, "day": day, "moved": moved}
        return ReviewDay(
            the_team.name, day or self.config.checkins.review_day, day is not None, moved
        )

    @operator_command("team.show")
    async def review_days(self, scope: EntryScope) -> list[ReviewDay]:
        """Every team's review day (`relais team list`)."""
        scope.audit = False
        days = []
        for team in await scope.tx.people.teams():
            own = await scope.tx.reviews.team_day(team_id=team.id)
            days.append(
                ReviewDay(team.name, own or self.config.checkins.review_day, own is not None)
            )
        return days
