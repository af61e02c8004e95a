"""The structured exit of a case: the exit report's answers, written, revised and read.

- `exit_progress(actor, case)` (`exit.write`): where the report stands, for `/exit`;
- `save_exit_answer(actor, case, element, text)` (`exit.write`): one element answered or
  revised (encrypted; the audit entry names the element and the revision, never the text);
- `exit_report(actor, case)` (`exit.read`) and `operator_exit_report(case)` (`relais case
  exit-report`): everything the document shows, as plain data (`ExitReport`).

Who may do what is the policy table's (`bot.policy`): the case owner and the psychologists on
the case write, the care team on the case reads. A closed case's report is read, no longer
written (like its notes). The elements come from `content/exit_report.yaml`
(`bot.exit.plan`); an answer to an element the plan no longer has is kept and shown apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.errors import CaseClosed, InvalidInput
from bot.exit.plan import ExitPlan, load_exit_plan
from bot.policy import Action
from bot.usecases.admin import find_case
from bot.usecases.base import CaseScope, EntryScope, UseCases, operator_command, requires
from bot.usecases.contacts import ContactEntry, resolve_roles
from storage.records import Case
from storage.recurrence import OneOff
from storage.repos.exit_answers import ExitAnswer
from storage.tx import Tx

__all__ = [
    "MAX_ANSWER_LENGTH",
    "AnsweredMeanwhile",
    "ExitProgress",
    "ExitReport",
    "ExitUseCases",
    "FollowUpDue",
]

log = logging.getLogger(__name__)

#: the longest answer to one element (a note holds as much)
MAX_ANSWER_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class ExitProgress:
    """Where a case's exit report stands: the plan's elements in order and their answers."""

    case_code: str
    elements: tuple[str, ...]
    answers: dict[str, ExitAnswer]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(e for e in self.elements if e not in self.answers)

    def first_missing(self, after: str = "") -> str | None:
        """The first unanswered element (after `after` when given, wrapping round)."""
        order = list(self.elements)
        if after in order:
            start = order.index(after) + 1
            order = order[start:] + order[:start]
        return next((e for e in order if e not in self.answers and e != after), None)


@dataclass(frozen=True, slots=True)
class FollowUpDue:
    """A post-exit follow-up check-in of the case (a schedule that runs after closing)."""

    due_at: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class ExitReport:
    """Everything the exit report shows, read in one transaction."""

    case: Case
    owner_name: str
    progress: ExitProgress
    #: the team's directory for the plan's `help_roles` (the case owner included)
    contacts: tuple[ContactEntry, ...]
    follow_up: tuple[FollowUpDue, ...]
    generated_at: datetime


class AnsweredMeanwhile(InvalidInput):
    """The element was answered or revised by someone else since the writer was shown it."""


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("an answer needs some text").saying("answer_empty")
    if len(text) > MAX_ANSWER_LENGTH:
        raise InvalidInput(
            f"an answer holds at most {MAX_ANSWER_LENGTH} characters, found {len(text)}"
        ).saying("answer_too_long", most=MAX_ANSWER_LENGTH, found=len(text))
    return text


class ExitUseCases(UseCases):
    """The exit report's use cases (mixed into `bot.app.Relais`)."""

    def exit_plan(self) -> ExitPlan:
        return load_exit_plan(self.config.content_path)

    async def _exit_progress_of(self, tx: Tx, case: Case) -> ExitProgress:
        answers = await tx.exit_answers.for_case(case_id=case.id)
        return ExitProgress(case.code, self.exit_plan().ids, {a.element: a for a in answers})

    @requires(Action.WRITE_EXIT)
    async def exit_progress(self, scope: CaseScope) -> ExitProgress:
        """Where the report stands, for the one who writes it (`/exit`): a closed case's
        report is no longer written."""
        if scope.case.status != "open":
            raise CaseClosed(
                f"case {scope.case.code} is closed: its exit report is read only"
            ).saying("closed_exit", case=scope.case.code)
        progress = await self._exit_progress_of(scope.tx, scope.case)
        scope.detail = {"answered": len(progress.answers), "missing": len(progress.missing)}
        return progress

    @requires(Action.WRITE_EXIT)
    async def save_exit_answer(
        self, scope: CaseScope, element: str, text: str, expected_revision: int | None = None
    ) -> ExitProgress:
        """Answer (or revise) one element of the report; returns where the report stands.

        `expected_revision`: the revision the writer was shown (0: none); when the element was
        answered or revised meanwhile, nothing is written and `AnsweredMeanwhile` is raised
        (the chat layer keeps what was typed and asks)."""
        if scope.case.status != "open":
            raise CaseClosed(
                f"case {scope.case.code} is closed: its exit report is read only"
            ).saying("closed_exit", case=scope.case.code)
        plan = self.exit_plan()
        if plan.element(element) is None:
            raise InvalidInput(
                f"unknown element {element!r} of the exit report: expected one of "
                f"{', '.join(plan.ids)}"
            )
        tx = scope.tx
        revision = await tx.exit_answers.put(
            case_id=scope.case.id,
            element=element,
            text=_clean(text),
            author_id=scope.actor.practitioner_id,
            now=tx.now,
            expected_revision=expected_revision,
        )
        if revision is None:
            raise AnsweredMeanwhile(f"{element} of case {scope.case.code} changed meanwhile")
        scope.detail = {"element": element, "revision": revision}
        log.info("exit report element %s written on case %s", element, scope.case.id)
        return await self._exit_progress_of(tx, scope.case)

    @requires(Action.READ_EXIT)
    async def exit_report(self, scope: CaseScope) -> ExitReport:
        """Everything the exit report document shows (`/exit-report`)."""
        report = await self._exit_report_of(scope.tx, scope.case)
        scope.detail = {"answered": len(report.progress.answers)}
        return report

    @operator_command("exit.report")
    async def operator_exit_report(self, scope: EntryScope, code: str) -> ExitReport:
        """`relais case exit-report CODE`: the same, for the operator (audited as such)."""
        case = await find_case(scope.tx, code)
        scope.case_id, scope.case_code = case.id, case.code
        report = await self._exit_report_of(scope.tx, case)
        scope.detail = {"answered": len(report.progress.answers)}
        return report

    async def _exit_report_of(self, tx: Tx, case: Case) -> ExitReport:
        owner = await tx.people.get(practitioner_id=case.owner_id)
        helpers = self.exit_plan().help_roles
        live_owner = owner if owner is not None and not owner.revoked else None
        contacts = await resolve_roles(tx, case.team_id, helpers, live_owner)
        schedules = await tx.schedules.find(
            case_ids=[case.id], statuses=("active", "paused", "done")
        )
        follow_up = sorted(
            (
                FollowUpDue(
                    s.rule.at_utc if isinstance(s.rule, OneOff) else s.next_due_at, s.status
                )
                for s in schedules
                if s.after_close
            ),
            key=lambda f: f.due_at or tx.now,
        )
        return ExitReport(
            case=case,
            owner_name=owner.name if owner is not None else "",
            progress=await self._exit_progress_of(tx, case),
            contacts=tuple(contacts),
            follow_up=tuple(follow_up),
            generated_at=tx.now,
        )
