"""Check-in use cases: schedules, the buttons of reminders and pages, follow-ups, pages. They
return data (`bot.checkins.results`), shown by the chat layer (`bot.chat.checkins`). The
dispatcher and its timer belong to the runtime (`bot.background`), which sets `dispatcher` and
`timer` here while they run; a use case that creates work wakes the timer once committed.

Buttons are in `bot.checkins.buttons`, pages in `bot.checkins.pages` (mixed in here).
Every use case declares its permission (`bot.policy`) through the storage layer's decorators
(`@requires`, `@operator_command`) or those of `bot.checkins.permissions` (buttons identified
by an occurrence, actions about no case in particular), which follow the same pattern.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from bot.checkins.buttons import CheckinButtons
from bot.checkins.closing import CaseClosing
from bot.checkins.commands import chat_rule
from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.pages import CheckinPages
from bot.checkins.permissions import (
    ScheduleScope,
    TeamScope,
    requires_any_case,
    requires_schedule,
)
from bot.checkins.results import (
    CommandRefused,
    Scheduled,
    Upcoming,
)
from bot.checkins.schedule_status import change_status
from bot.checkins.status import ChannelHealth
from bot.checkins.timer import CheckinTimer
from bot.clock import Clock
from bot.config import Config, parse_duration
from bot.errors import CaseClosed, ConfigError, InvalidInput
from bot.lifecycle.schedules import labelled
from bot.policy import Action, Relation, is_allowed
from bot.usecases.base import (
    Actor,
    CaseScope,
    UseCases,
    requires,
)
from storage import checkins_repo as repo
from storage.database import Database
from storage.recurrence import (
    OneOff,
    Recurrence,
    next_occurrence,
)
from storage.repos.schedules import Schedules
from storage.tx import Tx

__all__ = ["CheckinService", "HasDatabase", "Upcoming", "rule_text"]

log = logging.getLogger(__name__)


#: the shortest and the longest one-off follow-up ("in 1m" is the documented minimum)
FOLLOWUP_MIN = timedelta(minutes=1)
FOLLOWUP_MAX = timedelta(days=366)
#: how far ahead a schedule may first fall due (dates stay far from datetime's limits)
SCHEDULE_HORIZON = timedelta(days=3653)
#: who `/checkin ... NAME` reminds when no colleague has that name (then "not on the case")
NOBODY = "-"
NOT_ON_CASE = "the person reminded or escalated to must be a practitioner on the case"


class HasDatabase(Protocol):
    """The application object (`bot.app.Relais`): the service shares its database."""

    @property
    def db(self) -> Database: ...


def rule_text(schedule: repo.Schedule) -> str:
    rule = schedule.rule
    if isinstance(rule, OneOff):
        return "once"
    return f"{rule.to_text()} {schedule.time_zone}"


class CheckinService(ChannelHealth, CheckinButtons, CheckinPages, CaseClosing, UseCases):
    """The check-in use cases the chat layer and the command line call: schedules and
    `/checkin` here, reminder and page buttons (`CheckinButtons`), pages (`CheckinPages`)."""

    #: lifecycle methods, and facades that only resolve an id or parse words and then call a
    #: decorated use case (which checks the permission and writes the audit entry)
    not_use_cases: ClassVar[frozenset[str]] = frozenset(
        {
            "handle_button",
            "handle_command",
            "page_contact",
        }
    )

    def __init__(
        self,
        app: HasDatabase | Database,
        config: Config,
        clock: Clock,
        *,
        on_work: Callable[[], None] | None = None,
    ) -> None:
        self.db = app if isinstance(app, Database) else app.db
        self.clock = clock
        self.config = config
        #: called after a use case created work due now (a page): wakes the dispatcher
        self.on_work = on_work
        #: set by `bot.background.Background` while it runs them
        self.dispatcher: CheckinDispatcher | None = None
        self.timer: CheckinTimer | None = None
        self._last_case: dict[str, str] = {}  # schedule id -> case code, for button replies

    def _poke(self, tx: Tx) -> None:
        """Wake the dispatcher for work this transaction created, once it has committed (a
        tick woken earlier reads from another connection and would miss the new rows)."""
        tx.on_commit(self._wake)

    def _wake(self) -> None:
        if self.on_work is not None:
            self.on_work()
        if self.timer is not None:
            self.timer.poke()

    # -- schedules --------------------------------------------------------------------------

    @requires(Action.SCHEDULE_CHECKIN)
    async def create_schedule(
        self,
        scope: CaseScope,
        rule: Recurrence,
        *,
        reminded_id: str | None = None,
        escalate_to_id: str | None = None,
        grace: timedelta | None = None,
        urgent: bool = False,
    ) -> str:
        """A recurring or one-off check-in on the case; returns the schedule id."""
        return await self._insert_schedule(
            scope.tx,
            scope.case.id,
            rule,
            reminded_id=reminded_id or scope.actor.practitioner_id,
            escalate_to_id=escalate_to_id,
            grace=grace,
            urgent=urgent,
            created_by=scope.actor.practitioner_id,
            detail=scope.detail,
        )

    async def _insert_schedule(
        self,
        tx: Tx,
        case_id: str,
        rule: Recurrence,
        *,
        reminded_id: str,
        escalate_to_id: str | None,
        grace: timedelta | None,
        urgent: bool,
        created_by: str | None,
        detail: dict[str, Any],
        after_close: bool = False,
        purpose: str | None = None,
    ) -> str:
        """`purpose`: what the schedule is for, as its label (`bot.lifecycle.schedules`)."""
        case = await tx.checkin_reads.case_by_id(case_id=case_id)
        assert case is not None
        for who in (reminded_id, escalate_to_id):
            if who is None:
                continue
            if (
                await tx.cases.relation(
                    case_id=case.id, owner_id=case.owner_id, practitioner_id=who
                )
                == "other"
            ):
                raise InvalidInput(NOT_ON_CASE).saying("reminded_not_on_case")
        if case.status != "open" and not after_close:  # the post-exit follow-up runs after
            raise CaseClosed(f"case {case.code} is closed").saying("closed", case=case.code)
        next_due = next_occurrence(rule, tx.now - timedelta(microseconds=1))
        if next_due is None:
            raise InvalidInput("a one-off check-in must be in the future").saying("checkin_past")
        if next_due > tx.now + SCHEDULE_HORIZON:
            raise InvalidInput("a check-in must first fall due within ten years").saying(
                "checkin_horizon"
            )
        sid, label = labelled(tx, purpose) if purpose else (None, None)
        sid = await tx.schedules.add(
            schedule_id=sid,
            label_enc=label,
            case_id=case_id,
            rule=rule,
            reminded_id=reminded_id,
            escalate_to_id=escalate_to_id,
            grace=grace or self.config.checkins.grace_period,
            urgent=urgent,
            next_due_at=next_due,
            created_by=created_by,
            now=tx.now,
            after_close=after_close,
        )
        detail.update(schedule=sid, reminded=reminded_id, kind=type(rule).__name__.lower())
        self._poke(tx)
        return sid

    @requires(Action.FOLLOW_UP)
    async def schedule_followup(
        self, scope: CaseScope, after: timedelta, label: str = ""
    ) -> datetime:
        """A dialog's "check in again in 24 hours": a one-off for the actor; returns when."""
        if not FOLLOWUP_MIN <= after <= FOLLOWUP_MAX:
            raise InvalidInput("a follow-up must be between 1 minute and a year ahead").saying(
                "followup_range"
            )
        due = scope.tx.now + after
        await self._insert_schedule(
            scope.tx,
            scope.case.id,
            OneOff(due),
            reminded_id=scope.actor.practitioner_id,
            escalate_to_id=None,
            grace=None,
            urgent=False,
            created_by=scope.actor.practitioner_id,
            detail=scope.detail,
        )
        scope.detail["origin"] = "followup"
        del label  # the label is the dialog's wording: never stored with the case (no content)
        return due

    @requires_schedule(Action.SCHEDULE_CHECKIN)
    async def set_schedule_status(self, scope: ScheduleScope, action: str) -> str:
        """Pause, resume or cancel a schedule by id (the chat layer's entry point)."""
        schedule_id = scope.schedule.id
        scope.detail["change"] = action
        self._last_case[schedule_id] = scope.case.code
        return await self._change_status(scope.tx, scope.case.id, schedule_id, action)

    async def _change_status(
        self, tx: Tx, case_id: str | None, schedule_id: str, action: str
    ) -> str:
        return await change_status(tx, case_id, schedule_id, action, poke=self._poke)

    # -- listing ----------------------------------------------------------------------------

    @requires_any_case(Action.VIEW_CHECKINS)
    async def list_checkins(self, scope: TeamScope) -> list[Upcoming]:
        """The actor's upcoming check-ins, and those of the cases they own."""
        me = scope.actor.practitioner_id
        reads = scope.tx.checkin_reads
        owned = [
            c.id
            for c, relation in await scope.tx.cases.for_practitioner(practitioner_id=me)
            if relation == "owner"
            and is_allowed(scope.actor.roles, Action.VIEW_CHECKINS, Relation.OWNER)
        ]
        schedules = await scope.tx.schedules.find(case_ids=owned, reminded_id=me)
        occurrences = await scope.tx.occurrences.find(case_ids=owned, recipient_id=me)
        codes: dict[str, str] = {}

        async def code(case_id: str | None) -> str:
            if case_id is None:
                return "-"
            if case_id not in codes:
                case = await reads.case_by_id(case_id=case_id)
                codes[case_id] = case.code if case else "-"
            return codes[case_id]

        out = [
            Upcoming(
                None,
                o.id,
                await code(o.case_id),
                o.kind,
                o.status,
                o.deliver_at if o.status == "pending" else o.next_action_at,
                o.recipient_id,
                False,
            )
            for o in occurrences
            if o.kind == "checkin"
        ]
        out += [
            Upcoming(
                s.id,
                None,
                await code(s.case_id),
                rule_text(s),
                s.status,
                s.next_due_at,
                s.reminded_id,
                s.urgent,
            )
            for s in schedules
        ]
        far = datetime.max.replace(tzinfo=scope.tx.now.tzinfo)
        return sorted(out, key=lambda u: (u.next_at or far, u.case_code))

    # -- /checkin from chat -----------------------------------------------------------------

    async def handle_command(self, actor: Actor, argument: str) -> Scheduled | CommandRefused:
        """`/checkin CASE weekly MO 09:00 | every 3d 09:00 | monthly 1 10:00 | in 24h [NAME]`:
        a check-in on a case, reminding NAME (a practitioner on the case; default: you)."""
        words = argument.split()
        if len(words) < 3:
            return CommandRefused("usage")
        code, kind = words[0].upper(), words[1].lower()
        now = self.clock.now()  # read once: "in 1m" is one minute from this very moment
        after: timedelta | None = None
        try:
            if kind in ("in", "dans"):
                try:
                    after, rest = parse_duration(words[2], "after"), words[3:]
                except ConfigError:
                    if not re.fullmatch(r"\d+\s*[smhdw]", words[2].strip()):
                        raise InvalidInput(f"not a delay: {words[2]!r}").saying(
                            "checkin_bad_duration", found=words[2]
                        ) from None
                    return CommandRefused("range")  # a number far too large
                if not FOLLOWUP_MIN <= after <= FOLLOWUP_MAX:
                    return CommandRefused("range")
                rule: Recurrence = OneOff(now + after)
            else:
                rule, rest = chat_rule(kind, words[2:], actor.time_zone, now)
        except (InvalidInput, ConfigError) as exc:  # the word to blame, if one is
            return CommandRefused("usage", exc.said)
        except (ValueError, IndexError, OverflowError):
            return CommandRefused("usage")
        reminded = None
        if rest:
            reminded = await self._practitioner_named(actor, " ".join(rest))
        if after is not None and reminded in (None, actor.practitioner_id):
            # a follow-up for oneself: any practitioner on the case may (checkin.followup)
            due = await self.schedule_followup(actor, code, after)
            return Scheduled(code, "once", due, None)
        sid = await self.create_schedule(actor, code, rule, reminded_id=reminded)
        async with self.db.connect() as conn:
            schedule = await Schedules(conn).get(schedule_id=sid)
            await conn.rollback()
        assert schedule is not None
        self._last_case[sid] = code
        return Scheduled(code, rule_text(schedule), schedule.next_due_at, sid)

    async def _practitioner_named(self, actor: Actor, name: str) -> str:
        """The colleague of that name, or NOBODY. No answer may differ between a real colleague
        and a made-up name: both go on to the case's checks (permission, then "on the case")."""
        async with self.db.transaction(self.clock.now()) as tx:
            found = [
                p
                for p in await tx.people.by_name(name=name, include_revoked=False)
                if p.team_id == actor.team_id
            ]
        return found[0].id if len(found) == 1 else NOBODY
